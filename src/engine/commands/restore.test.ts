/**
 * Version gating of `restore --sparse`: restic 0.15 and newer get it (holes stay holes), 0.14
 * does not know the flag and would refuse the whole restore.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Restic, parseVersion } from '../index.js';

let dir: string;
let binary: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hv-restore-flags-'));
  // Stands in for restic: says which arguments it got and succeeds.
  binary = join(dir, 'restic');
  await writeFile(binary, '#!/bin/sh\necho "argv: $*" >&2\n');
  await chmod(binary, 0o755);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function argv(version: string, sparse?: boolean): Promise<string[]> {
  const restic = Restic.forVersion(parseVersion(`restic ${version}`), { binary });
  const lines: string[] = [];
  await restic.restore({ url: join(dir, 'repo'), password: 'pw' }, 'abcdef12', {
    target: join(dir, 'target'),
    include: ['/srv/www'],
    sparse,
    onLog: (l) => lines.push(l),
  });
  const line = lines.find((l) => l.startsWith('argv: '));
  assert.ok(line, lines.join('\n'));
  return line.slice('argv: '.length).split(' ');
}

test('restore asks for holes where restic has --sparse (0.15+), and never from 0.14', async () => {
  assert.ok(!(await argv('0.14.0')).includes('--sparse'));
  assert.ok((await argv('0.15.0')).includes('--sparse'));
  assert.ok((await argv('0.18.0')).includes('--sparse'));
  assert.ok(!(await argv('0.18.0', false)).includes('--sparse'), 'unless asked not to');
});
