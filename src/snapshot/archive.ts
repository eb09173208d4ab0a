/**
 * The tar archive of a downloaded folder, as restic writes it (`dump --archive tar`), with the
 * entries restic gets wrong put right: restic 0.14 to 0.18 write a named pipe and a device file
 * as an empty regular file, so an extracted pipe became an ordinary file. Between restic and gzip
 * this transform turns each named pipe back into a pipe entry, and leaves device files, sockets
 * and other special files out (they belong to the server they were on, and extracting a device
 * node as root on another machine makes a device there); a note at the archive's top level,
 * hostvault-download-note.txt, lists what was left out. Symlinks restic already writes as links.
 *
 * Which entries are special comes from the snapshot's listing (the tar alone cannot tell an empty
 * file from a pipe). The stream is read as tar: 512-byte headers, data padded to 512, PAX
 * extended headers ('x', whose path and size records override the header's) and GNU long names
 * ('L') belonging to the entry after them, two zero blocks at the end.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { EntryType } from './browse-index.js';

const BLOCK = 512;
export const NOTE_NAME = 'hostvault-download-note.txt';

/** What each special type is, in a customer's words. */
export const SPECIAL_WORDS: Partial<Record<EntryType, string>> = {
  fifo: 'a named pipe',
  chardev: 'a device file',
  dev: 'a device file',
  socket: 'a socket',
  irregular: 'a special file',
};

export class ArchiveFixer extends Transform {
  private input: Buffer = Buffer.alloc(0);
  private state: 'header' | 'meta' | 'data' | 'skip' | 'end' = 'header';
  /** Bytes of data (with padding) still to pass on or skip. */
  private remaining = 0;
  /** PAX or GNU headers (with their data) that belong to the next entry. */
  private meta: Buffer[] = [];
  private metaHeader?: Buffer;
  private metaPath?: string;
  private metaSize?: number;
  private readonly left: string[] = [];

  /**
   * `specials`: absolute snapshot paths of the entries that are not files, directories or
   * symlinks, with their type; `folder`: the downloaded folder (absolute, as in the snapshot);
   * `shownAs`: the folder's name as the customer knows it, for the note's words (the snapshot
   * path may be the service's own, as for Databases).
   */
  constructor(
    private readonly specials: ReadonlyMap<string, EntryType>,
    private readonly folder: string,
    private readonly shownAs: string = folder,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.input = this.input.length ? Buffer.concat([this.input, chunk]) : chunk;
    try {
      this.work();
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.state !== 'end' || this.input.length)
      return done(new Error('the archive from restic ended in the middle of an entry'));
    done();
  }

  private work(): void {
    for (;;) {
      if (this.state === 'data' || this.state === 'skip') {
        const n = Math.min(this.remaining, this.input.length);
        if (this.state === 'data' && n) this.push(this.input.subarray(0, n));
        this.input = this.input.subarray(n);
        this.remaining -= n;
        if (this.remaining > 0) return;
        this.state = 'header';
        continue;
      }
      if (this.state === 'end') {
        if (this.input.length) this.push(this.input);
        this.input = Buffer.alloc(0);
        return;
      }
      if (this.state === 'meta') {
        if (this.input.length < this.remaining) return;
        this.takeMeta(this.metaHeader!, this.input.subarray(0, this.remaining));
        this.input = this.input.subarray(this.remaining);
        this.state = 'header';
        continue;
      }
      if (this.input.length < BLOCK) return;
      const header = Buffer.from(this.input.subarray(0, BLOCK));
      this.input = this.input.subarray(BLOCK);
      this.entry(header);
    }
  }

  /** A path below the folder as the customer sees it. */
  private shown(path: string): string {
    const base = this.folder.replace(/\/+$/, '');
    return path.startsWith(`${base}/`) ? `${this.shownAs}${path.slice(base.length)}` : path;
  }

  private entry(header: Buffer): void {
    if (header.every((b) => b === 0)) {
      // The end of the archive: the note goes in before it.
      if (this.left.length) this.push(noteEntry(this.folder, this.shownAs, this.left));
      this.push(header);
      this.state = 'end';
      return;
    }
    const type = String.fromCharCode(header[156]!);
    const size = this.metaSize ?? headerSize(header);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x' || type === 'L' || type === 'K') {
      this.metaHeader = header;
      this.remaining = Math.ceil(headerSize(header) / BLOCK) * BLOCK;
      this.state = 'meta';
      return;
    }
    if (type === 'g') {
      // Global: for every entry after it; passed on, never dropped.
      this.push(header);
      this.remaining = Math.ceil(headerSize(header) / BLOCK) * BLOCK;
      this.state = 'data';
      return;
    }
    const name = this.metaPath ?? ustarName(header);
    const path = `/${name.replace(/\/+$/, '')}`;
    const special = this.specials.get(path);
    const meta = this.meta;
    this.meta = [];
    this.metaPath = undefined;
    this.metaSize = undefined;
    this.remaining = padded;
    if (special === 'fifo') {
      header[156] = '6'.charCodeAt(0);
      header.write('00000000000\0', 124, 'latin1');
      setChecksum(header);
      for (const part of meta) this.push(part);
      this.push(header);
      this.state = 'skip';
    } else if (special) {
      this.left.push(`${this.shown(path)} (${SPECIAL_WORDS[special] ?? 'a special file'})`);
      this.state = 'skip';
    } else {
      for (const part of meta) this.push(part);
      this.push(header);
      this.state = 'data';
    }
  }

  private takeMeta(header: Buffer, data: Buffer): void {
    this.meta.push(header, Buffer.from(data));
    const type = String.fromCharCode(header[156]!);
    const content = data.subarray(0, headerSize(header));
    if (type === 'L') this.metaPath = cString(content);
    if (type !== 'x') return;
    for (const [key, value] of paxRecords(content)) {
      if (key === 'path') this.metaPath = value;
      if (key === 'size') this.metaSize = Number(value);
    }
  }
}

/** The name of a USTAR header (prefix/name); GNU headers use the prefix field for other things. */
function ustarName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  const posix = header.subarray(257, 263).toString('latin1') === 'ustar\0';
  const prefix = posix ? cString(header.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

/** The size field: octal text, or base-256 when its first byte has the high bit set. */
function headerSize(header: Buffer): number {
  const field = header.subarray(124, 136);
  if (field[0]! & 0x80) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  return text ? parseInt(text, 8) : 0;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString('utf8');
}

/** PAX records: "<length> <key>=<value>\n", the length counting the whole record. */
function paxRecords(data: Buffer): [string, string][] {
  const out: [string, string][] = [];
  for (let at = 0; at < data.length;) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(data.subarray(at, space).toString('latin1'));
    if (!Number.isSafeInteger(length) || length <= 0) break;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.push([record.slice(0, eq), record.slice(eq + 1)]);
    at += length;
  }
  return out;
}

function setChecksum(header: Buffer): void {
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

/** A regular file entry, header and padded data, with the note's text. */
function noteEntry(folder: string, shownAs: string, left: string[]): Buffer {
  const text = Buffer.from(
    [
      `This archive of ${shownAs} leaves out ${left.length} entr${left.length === 1 ? 'y' : 'ies'}`,
      'that hold no data and belong to the server they were on:',
      '',
      ...left.map((line) => `  ${line}`),
      '',
    ].join('\n'),
  );
  // Inside the folder, so a download renamed to the customer's names keeps it in the folder.
  const inside = folder.replace(/^\/+|\/+$/g, '');
  const name = inside ? `${inside}/${NOTE_NAME}` : NOTE_NAME;
  const data = Buffer.alloc(Math.ceil(text.length / BLOCK) * BLOCK);
  text.copy(data);
  return Buffer.concat([entryHeader(name, '0', text.length), data]);
}

/**
 * The header of one tar entry (type '0' a file, '5' a folder), preceded by a PAX record of the
 * name where it is longer than the header holds, as tar itself writes it. A size beyond the
 * header's 11 octal digits (8 GiB) is written base-256, as GNU tar does.
 */
export function entryHeader(
  name: string,
  type: '0' | '5',
  size: number,
  meta: { mode?: number; mtime?: string } = {},
): Buffer {
  const long = Buffer.byteLength(name) > 99;
  const header = tarHeader(long ? baseOf(name) : name, type, size, meta);
  if (!long) return header;
  // The record's length counts its own digits.
  const body = ` path=${name}\n`;
  const base = Buffer.byteLength(body);
  let length = base;
  while (length !== base + String(length).length) length = base + String(length).length;
  const paxData = Buffer.alloc(Math.ceil(length / BLOCK) * BLOCK);
  paxData.write(`${length}${body}`, 0, 'utf8');
  return Buffer.concat([tarHeader('PaxHeader', 'x', length), paxData, header]);
}

/** Zeros that fill an entry's data of `size` bytes up to a whole block. */
export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The two zero blocks that end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

function baseOf(name: string): string {
  const clean = name.replace(/\/+$/, '');
  const base = clean.slice(clean.lastIndexOf('/') + 1);
  return Buffer.byteLength(base) > 99 ? 'entry' : base;
}

function tarHeader(
  name: string,
  type: string,
  size: number,
  meta: { mode?: number; mtime?: string } = {},
): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 'utf8');
  const mode = (meta.mode ?? (type === '5' ? 0o755 : 0o644)) & 0o7777;
  header.write(`${mode.toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  header.write('0000000\0', 108, 'latin1');
  header.write('0000000\0', 116, 'latin1');
  if (size < 8 ** 11) header.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  else {
    header[124] = 0x80;
    for (let i = 135, rest = size; i > 124; i--, rest = Math.floor(rest / 256))
      header[i] = rest % 256;
  }
  const parsed = meta.mtime ? Date.parse(meta.mtime) : NaN;
  const time = Math.max(0, Math.floor((Number.isNaN(parsed) ? Date.now() : parsed) / 1000));
  header.write(`${time.toString(8).padStart(11, '0')}\0`, 136, 'latin1');
  header[156] = type.charCodeAt(0);
  header.write('ustar\0' + '00', 257, 'latin1');
  setChecksum(header);
  return header;
}
