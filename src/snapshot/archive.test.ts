/**
 * The tar fixer on archives GNU tar writes in each format restic's Go writer can produce (USTAR
 * with a name prefix, PAX with long non-ASCII names, GNU long names), fed in chunks of every
 * size: named pipes come out as pipes, device files are left out and listed in the note, every
 * other entry is byte for byte what went in.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { ArchiveFixer, END_OF_ARCHIVE, NOTE_NAME, entryHeader, padding } from './archive.js';
import type { EntryType } from './browse-index.js';

const run = promisify(execFile);
let dir: string;
/** Too long for USTAR: PAX and GNU long names. */
const long = `site/${'wörter-'.repeat(12)}/${'x'.repeat(90)}`;
/** Over 100 bytes, but USTAR's name prefix holds it. */
const medium = `site/${'p'.repeat(60)}/${'q'.repeat(40)}`;
const content = randomBytes(300_000);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hv-archive-'));
  for (const deep of [long, medium]) {
    const src = join(dir, deep === long ? 'long' : 'medium');
    await mkdir(join(src, deep), { recursive: true });
    // As restic writes them: a pipe and a device file as empty regular files.
    await writeFile(join(src, deep, 'queue'), '');
    await writeFile(join(src, 'site/null'), '');
    await writeFile(join(src, 'site/empty.txt'), '');
    await writeFile(join(src, deep, 'data.bin'), content);
    await symlink('data.bin', join(src, deep, 'link'));
  }
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const specials = (deep: string) =>
  new Map<string, EntryType>([
    [`/${deep}/queue`, 'fifo'],
    ['/site/null', 'chardev'],
  ]);

/** The archive through the fixer, `chunk` bytes at a time. */
async function fix(archive: Buffer, chunk: number, deep: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let at = 0; at < archive.length; at += chunk) parts.push(archive.subarray(at, at + chunk));
  return buffer(Readable.from(parts).pipe(new ArchiveFixer(specials(deep), '/site')));
}

for (const format of ['pax', 'gnu', 'ustar'] as const) {
  test(`${format}: pipes become pipes, device files go into the note, the rest is unchanged`, async () => {
    const deep = format === 'ustar' ? medium : long;
    const archive = join(dir, `${format}.tar`);
    const src = join(dir, format === 'ustar' ? 'medium' : 'long');
    await run('tar', [`--format=${format}`, '-cf', archive, '-C', src, 'site']);
    const input = await readFile(archive);
    for (const chunk of [1, 511, 512, 4096, 65536, input.length]) {
      const out = join(dir, `${format}-${chunk}.tar`);
      await writeFile(out, await fix(input, chunk, deep));
      const { stdout } = await run('tar', ['-tvf', out]);
      const line = (name: string) => stdout.split('\n').find((l) => l.endsWith(name));
      assert.match(line(`/queue`) ?? '', /^p/, `${format}/${chunk}:\n${stdout}`);
      assert.equal(line('site/null'), undefined, stdout);
      assert.match(line('link -> data.bin') ?? '', /^l/, stdout);
      assert.match(line('site/empty.txt') ?? '', /^-/, stdout);
      assert.match(line(NOTE_NAME) ?? '', /^-/, stdout);
      const target = join(dir, `x-${format}-${chunk}`);
      await mkdir(target);
      await run('tar', ['-xf', out, '-C', target]);
      assert.ok((await readFile(join(target, deep, 'data.bin'))).equals(content));
      assert.match(
        await readFile(join(target, 'site', NOTE_NAME), 'utf8'),
        /archive of \/site leaves out 1 entry.*\n\n {2}\/site\/null \(a device file\)\n/s,
      );
    }
  });
}

test('an archive cut short is an error, not a shorter archive', async () => {
  const archive = join(dir, 'cut.tar');
  await run('tar', ['--format=pax', '-cf', archive, '-C', join(dir, 'long'), 'site']);
  const input = await readFile(archive);
  // In the middle of data.bin, the largest entry.
  await assert.rejects(fix(input.subarray(0, 200_000), 4096, long), /ended in the middle/);
});

test('the note of a folder whose path is longer than a tar header holds goes in a PAX record', async () => {
  const folder = `/${'d'.repeat(70)}/${'e'.repeat(70)}`;
  const src = join(dir, 'deepnote');
  await mkdir(join(src, folder), { recursive: true });
  await writeFile(join(src, folder, 'null'), '');
  const archive = join(dir, 'deepnote.tar');
  await run('tar', ['--format=pax', '-cf', archive, '-C', src, folder.slice(1)]);
  const fixed = await buffer(
    Readable.from([await readFile(archive)]).pipe(
      new ArchiveFixer(new Map([[`${folder}/null`, 'chardev']]), folder, 'Web files/deep'),
    ),
  );
  const target = join(dir, 'x-deepnote');
  await mkdir(target);
  await writeFile(join(dir, 'deepnote-fixed.tar'), fixed);
  await run('tar', ['-xf', join(dir, 'deepnote-fixed.tar'), '-C', target]);
  assert.match(
    await readFile(join(target, folder.slice(1), NOTE_NAME), 'utf8'),
    /^This archive of Web files\/deep leaves out 1 entry.*\n {2}Web files\/deep\/null \(a device file\)\n/s,
  );
});

test('entries written here unpack with GNU tar: a long name, mode and time kept', async () => {
  const body = Buffer.from('-- a dump\n');
  const name = `Databases/${'d'.repeat(95)}.sql`;
  const mtime = '2026-11-28T10:00:00.123456789+01:00';
  const archive = Buffer.concat([
    entryHeader('Databases/', '5', 0, { mode: 0o750, mtime }),
    entryHeader(name, '0', body.length, { mode: 0o600, mtime }),
    body,
    padding(body.length),
    END_OF_ARCHIVE,
  ]);
  const out = join(dir, 'written');
  await mkdir(out);
  await writeFile(join(out, 'a.tar'), archive);
  const { stdout } = await run('tar', ['-tvf', 'a.tar', '--full-time', '--utc'], { cwd: out });
  assert.match(stdout, /^drwxr-x--- .* 2026-11-28 09:00:00 Databases\/$/m);
  assert.match(stdout, new RegExp(`^-rw------- .* 10 2026-11-28 09:00:00 ${name}$`, 'm'));
  await run('tar', ['-xf', 'a.tar'], { cwd: out });
  assert.deepEqual(await readFile(join(out, name)), body);
});

test("a size beyond the header's octal digits is written base-256", () => {
  const size = 10 * 1024 ** 3 + 7;
  const header = entryHeader('Databases/big.sql', '0', size);
  assert.equal(header[124], 0x80);
  let read = 0;
  for (let i = 125; i < 136; i++) read = read * 256 + header[i]!;
  assert.equal(read, size);
  // The checksum counts the field as written.
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  assert.equal(parseInt(header.subarray(148, 154).toString('latin1'), 8), sum);
});
