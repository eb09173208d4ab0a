/**
 * The names inside a folder's tar archive, on what real `restic dump --archive tar` writes: PAX
 * headers for long names and xattrs, symlinks, empty folders, multi-byte names. GNU tar reads
 * the result, the content comes back byte for byte, and the server path appears nowhere in it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { Restic, type RepositoryLocation } from '../engine/index.js';
import { ArchiveNameError, renameArchiveEntries } from './archive-names.js';

let work: string;
let folder: string;
let restic: Restic;
let repo: RepositoryLocation;
let snapshot: string;
const longDir = 'd'.repeat(120);
const longFile = `${'f'.repeat(150)}.sql`;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-archive-'));
  folder = join(work, 'data/staging/alice/7/databases');
  await mkdir(join(folder, longDir), { recursive: true });
  await mkdir(join(folder, 'empty'));
  await writeFile(join(folder, 'shop.sql'), 'CREATE TABLE t (id int);\n');
  await writeFile(join(folder, longDir, longFile), randomBytes(70_000));
  await writeFile(join(folder, 'Grüße 😀.sql'), 'unicode\n');
  await symlink('shop.sql', join(folder, 'latest.sql'));
  execFileSync('setfattr', ['-n', 'user.origin', '-v', 'nightly', join(folder, 'shop.sql')]);
  restic = await Restic.detect({ cacheDir: join(work, 'cache') });
  repo = { url: join(work, 'repo'), password: randomBytes(12).toString('hex') };
  await restic.init(repo);
  snapshot = (await restic.backup(repo, { paths: [folder] })).summary.snapshotId;
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function dumpRenamed(path: string, to: string): Promise<Buffer> {
  const renamer = renameArchiveEntries(path, to);
  const chunks: Buffer[] = [];
  renamer.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    renamer.on('end', resolve);
    renamer.on('error', reject);
  });
  await restic.dump(repo, snapshot, path, renamer, { archive: 'tar' });
  renamer.end();
  await done;
  return Buffer.concat(chunks);
}

describe('names inside a downloaded archive', () => {
  test("entries are named after the customer's folder; the server path is nowhere in the archive", async () => {
    const tar = await dumpRenamed(folder, 'Databases');
    assert.equal(tar.indexOf(Buffer.from('staging')), -1, 'no trace of the staging path');
    assert.equal(tar.indexOf(Buffer.from(work.slice(1))), -1);
    const file = join(work, 'renamed.tar');
    await writeFile(file, tar);
    const listed = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(
      listed.sort(),
      [
        `Databases/${longDir}/`,
        `Databases/${longDir}/${longFile}`,
        'Databases/Grüße 😀.sql',
        'Databases/empty/',
        'Databases/latest.sql',
        'Databases/shop.sql',
      ].sort(),
    );
    const out = join(work, 'out');
    await mkdir(out);
    execFileSync('tar', ['--xattrs', '--xattrs-include=user.*', '-xf', file, '-C', out]);
    for (const name of ['shop.sql', 'Grüße 😀.sql', join(longDir, longFile)]) {
      assert.deepEqual(
        await readFile(join(out, 'Databases', name)),
        await readFile(join(folder, name)),
        name,
      );
    }
    assert.equal(
      execFileSync('readlink', [join(out, 'Databases/latest.sql')], { encoding: 'utf8' }).trim(),
      'shop.sql',
      'a symbolic link keeps its target',
    );
    assert.match(
      execFileSync('getfattr', ['-d', join(out, 'Databases/shop.sql')], { encoding: 'utf8' }),
      /user\.origin="nightly"/,
      'extended attributes survive',
    );
  });

  test('a subfolder is named by its own name, and a name longer than the one it replaces fits', async () => {
    const tar = await dumpRenamed(join(folder, longDir), `A folder ${'x'.repeat(90)}`);
    const file = join(work, 'sub.tar');
    await writeFile(file, tar);
    const listed = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim();
    assert.equal(listed, `A folder ${'x'.repeat(90)}/${longFile}`);
  });

  test('anything outside the folder, or a damaged archive, stops the stream', async () => {
    const tar = await dumpRenamed(folder, 'Databases');
    const through = async (from: string, bytes: Buffer) =>
      pipeline(Readable.from([bytes]), renameArchiveEntries(from, 'X'), new PassThrough().resume());
    await assert.rejects(through('/somewhere/else', tar), ArchiveNameError);
    const damaged = Buffer.from(tar);
    damaged[10] = (damaged[10] ?? 0) ^ 0xff;
    await assert.rejects(through('/', damaged), /damaged/);
    await assert.rejects(through('/', tar.subarray(0, 700)), /ended in the middle/);
    assert.throws(() => renameArchiveEntries(folder, '../up'), ArchiveNameError);
  });
});
