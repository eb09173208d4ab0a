/**
 * One full garbage collection, once, a while after a long-running role (`serve`, `agent`) has
 * started. What the start leaves behind (the demo's plan of its files, module loading, the first
 * requests) is garbage V8 collects only under allocation pressure, which an idle service never
 * has: without this it stays resident (190 MB idle with `serve --demo` instead of about 95 MB).
 * `--expose-gc` set at run time makes `gc` reachable in a fresh context; the collection takes
 * tens of milliseconds.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Long enough for the start's own work (recovery, a demo's first jobs) to have settled. */
const STARTUP_GC_DELAY_MS = 20_000;

/** Schedules the collection; the returned function cancels it (a stop before it ran). */
export function collectStartupGarbageLater(): () => void {
  const timer = setTimeout(collectStartupGarbage, STARTUP_GC_DELAY_MS);
  timer.unref();
  return () => clearTimeout(timer);
}

function collectStartupGarbage(): void {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // A second collection frees what the finalizers of the first released.
    gc();
    gc();
  } catch {
    // A runtime without the flag: the memory is collected later, under pressure.
  }
}
