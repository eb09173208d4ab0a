import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { EngineError, type EngineErrorKind } from '../../src/engine/index.js';

/** Processes (restic, rclone) whose command line mentions `needle`. */
export function processesMentioning(needle: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter(
      (l) =>
        l.includes(needle) &&
        /restic|rclone/.test(l) &&
        !/ ps -eo /.test(l) &&
        !/^\s*\d+\s+Z/.test(l),
    );
}

/**
 * Awaits a failing engine call and checks that it failed the way a customer should see it:
 * the right kind, within `maxMs`, in words without Go internals, and with nothing left running.
 */
export async function expectEngineError(
  run: () => Promise<unknown>,
  kind: EngineErrorKind,
  opts: { maxMs: number; url: string; message?: RegExp },
): Promise<EngineError> {
  const started = Date.now();
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  const took = Date.now() - started;
  if (process.env.HV_TEST_TIMINGS) console.error(`[timing] ${kind}: ${took} ms`);
  assert.ok(
    error instanceof EngineError,
    `expected an EngineError (${kind}), got ${String(error)}`,
  );
  assert.equal(error.kind, kind, `${error.message}\n${error.detail}`);
  assert.ok(took < opts.maxMs, `failed after ${took} ms, limit ${opts.maxMs} ms`);
  assert.doesNotMatch(error.message, /exit status|goroutine|panic/);
  if (opts.message) assert.match(error.message, opts.message);
  assert.deepEqual(
    processesMentioning(opts.url.replace(/^rclone:/, '')),
    [],
    'no restic or rclone left behind',
  );
  return error;
}
