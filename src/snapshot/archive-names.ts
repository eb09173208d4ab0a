/**
 * Names inside a downloaded folder's tar archive. `restic dump --archive tar` names every entry
 * by its whole path on the server (`var/lib/hostvault/staging/alice/7/databases/shop.sql`), which
 * would show a customer where the service keeps its staging directories. This stream renames the
 * entries below the downloaded folder to start with the folder's name as the customer saw it
 * (`Databases/shop.sql`), and refuses to pass on anything else.
 *
 * A tar stream is 512-byte blocks: a header, then the entry's data padded to a whole block.
 * Names live in the header (`name`, and `prefix` in ustar), in a PAX extended header before it
 * (`path`, `linkpath`) or in a GNU long-name entry before it (types L and K). All of them are
 * read, and the renamed entry is written with its name in the header when it fits and in a PAX
 * header of our own when it does not; other PAX records (xattrs, exact times) are kept.
 */
import { Transform, type TransformCallback } from 'node:stream';

const BLOCK = 512;

export class ArchiveNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveNameError';
  }
}

/**
 * A transform that renames the tar entries below `from` (the folder's path in the snapshot,
 * absolute) to start with `to` (the name the customer knows it by), leaving out the regular files
 * whose base name `hidden` picks (the service's own files beside a customer's data).
 */
export function renameArchiveEntries(
  from: string,
  to: string,
  hidden: (baseName: string) => boolean = () => false,
): Transform {
  const source = from.replace(/^\/+|\/+$/g, '');
  const target = to.replace(/^\/+|\/+$/g, '');
  if (target === '' || target.split('/').some((s) => s === '..' || s === '.'))
    throw new ArchiveNameError(`"${to}" cannot name an archive's folder.`);
  const rename = (name: string): string => {
    const dir = name.endsWith('/');
    const clean = name.replace(/\/+$/, '');
    let renamed: string | undefined;
    if (clean === source) renamed = target;
    else if (source === '') renamed = `${target}/${clean}`;
    else if (clean.startsWith(`${source}/`)) renamed = `${target}${clean.slice(source.length)}`;
    if (renamed === undefined)
      throw new ArchiveNameError('The archive holds an entry outside the chosen folder.');
    return dir ? `${renamed}/` : renamed;
  };
  return new ArchiveRenamer(rename, hidden);
}

type Records = [string, string][];

class ArchiveRenamer extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes of entry data (with padding) still to pass through unchanged. */
  private passing = 0;
  /** Bytes of a hidden entry's data (with padding) still to leave out. */
  private dropping = 0;
  /** A PAX or GNU long-name entry being read: its type and the bytes still to read. */
  private collecting: { type: string; size: number } | undefined;
  private pax: Records = [];
  private longName: string | undefined;
  private longLink: string | undefined;
  private ended = false;

  constructor(
    private readonly rename: (name: string) => string,
    private readonly hidden: (baseName: string) => boolean,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.drain();
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.buffer.length > 0 || this.passing > 0 || this.dropping > 0 || this.collecting)
      return done(new ArchiveNameError('The archive ended in the middle of an entry.'));
    done();
  }

  private drain(): void {
    for (;;) {
      if (this.ended) {
        // End-of-archive blocks and restic's trailing zeros: no names there.
        this.push(this.buffer);
        this.buffer = Buffer.alloc(0);
        return;
      }
      if (this.passing > 0) {
        const n = Math.min(this.passing, this.buffer.length);
        if (n === 0) return;
        this.push(this.buffer.subarray(0, n));
        this.buffer = this.buffer.subarray(n);
        this.passing -= n;
        continue;
      }
      if (this.dropping > 0) {
        const n = Math.min(this.dropping, this.buffer.length);
        if (n === 0) return;
        this.buffer = this.buffer.subarray(n);
        this.dropping -= n;
        continue;
      }
      if (this.collecting) {
        const padded = roundUp(this.collecting.size);
        if (this.buffer.length < padded) return;
        const body = this.buffer.subarray(0, this.collecting.size);
        this.buffer = this.buffer.subarray(padded);
        this.collected(this.collecting.type, Buffer.from(body));
        this.collecting = undefined;
        continue;
      }
      if (this.buffer.length < BLOCK) return;
      const header = Buffer.from(this.buffer.subarray(0, BLOCK));
      this.buffer = this.buffer.subarray(BLOCK);
      this.header(header);
    }
  }

  private header(header: Buffer): void {
    if (header.every((b) => b === 0)) {
      this.ended = true;
      this.push(header);
      return;
    }
    if (!validChecksum(header)) throw new ArchiveNameError('The archive is damaged.');
    const type = String.fromCharCode(header[156] ?? 0);
    const size = octal(header, 124, 12);
    if (type === 'x' || type === 'L' || type === 'K') {
      this.collecting = { type, size };
      return;
    }
    if (type === 'g') {
      // Global records apply to the whole archive; they carry no entry's name.
      setString(header, 0, 100, 'pax_global_header');
      writeChecksum(header);
      this.push(header);
      this.passing = roundUp(size);
      return;
    }
    this.entry(header, type, size);
  }

  private collected(type: string, body: Buffer): void {
    if (type === 'x') {
      const records = parsePax(body);
      this.pax = [...this.pax.filter(([k]) => !records.some(([n]) => n === k)), ...records];
    } else {
      const text = body.toString('utf8').replace(/\0.*$/s, '');
      if (type === 'L') this.longName = text;
      else this.longLink = text;
    }
  }

  private entry(header: Buffer, type: string, headerSize: number): void {
    const records = this.pax;
    const record = (key: string) => records.find(([k]) => k === key)?.[1];
    const ustarPrefix =
      header.subarray(257, 262).toString('latin1') === 'ustar' ? field(header, 345, 155) : '';
    const name =
      record('path') ??
      this.longName ??
      (ustarPrefix ? `${ustarPrefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    const link = record('linkpath') ?? this.longLink ?? field(header, 157, 100);
    const size = record('size') !== undefined ? Number(record('size')) : headerSize;
    this.pax = [];
    this.longName = undefined;
    this.longLink = undefined;

    const newName = this.rename(name);
    const isFile = type === '0' || type === '\0';
    if (isFile && this.hidden(newName.split('/').pop() ?? '')) {
      // Its PAX records went with it above; its data is skipped.
      this.dropping = roundUp(size);
      return;
    }
    // A hard link names another entry of the archive; a symbolic link's target is the
    // customer's own data and stays as it is.
    const newLink = type === '1' ? this.rename(link) : link;
    const kept: Records = records.filter(([k]) => k !== 'path' && k !== 'linkpath');
    header.fill(0, 345, 500);
    if (fits(newName, 100)) setString(header, 0, 100, newName);
    else {
      setString(header, 0, 100, truncate(newName, 100));
      kept.push(['path', newName]);
    }
    if (fits(newLink, 100)) setString(header, 157, 100, newLink);
    else {
      setString(header, 157, 100, truncate(newLink, 100));
      kept.push(['linkpath', newLink]);
    }
    if (kept.length > 0) this.pushPax(kept, newName);
    writeChecksum(header);
    this.push(header);
    this.passing = roundUp(size);
  }

  private pushPax(records: Records, name: string): void {
    const body = Buffer.concat(records.map(([k, v]) => paxRecord(k, v)));
    const header = Buffer.alloc(BLOCK);
    const base = name.replace(/\/+$/, '').split('/').pop() ?? 'entry';
    setString(header, 0, 100, truncate(`PaxHeader/${base}`, 100));
    setString(header, 100, 8, '0000644\0');
    setString(header, 108, 8, '0000000\0');
    setString(header, 116, 8, '0000000\0');
    setString(header, 124, 12, `${body.length.toString(8).padStart(11, '0')}\0`);
    setString(header, 136, 12, '00000000000\0');
    header[156] = 'x'.charCodeAt(0);
    setString(header, 257, 8, 'ustar\x0000');
    writeChecksum(header);
    this.push(header);
    this.push(body);
    const pad = roundUp(body.length) - body.length;
    if (pad > 0) this.push(Buffer.alloc(pad));
  }
}

function roundUp(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octal(header: Buffer, start: number, length: number): number {
  const raw = header.subarray(start, start + length);
  // GNU base-256 for sizes beyond 8 GiB: the first byte's high bit is set.
  if ((raw[0] ?? 0) & 0x80) {
    let value = (raw[0] ?? 0) & 0x7f;
    for (const byte of raw.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const text = raw
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function setString(header: Buffer, start: number, length: number, value: string): void {
  header.fill(0, start, start + length);
  header.write(value, start, length, 'utf8');
}

function fits(value: string, length: number): boolean {
  return Buffer.byteLength(value, 'utf8') <= length;
}

function truncate(value: string, length: number): string {
  let out = Buffer.from(value, 'utf8').subarray(0, length).toString('utf8');
  // A cut inside a multi-byte character decodes to U+FFFD, which is 3 bytes: drop it.
  while (Buffer.byteLength(out, 'utf8') > length) out = out.slice(0, -1);
  return out;
}

function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] ?? 0);
  return sum;
}

function validChecksum(header: Buffer): boolean {
  return octal(header, 148, 8) === checksum(header);
}

function writeChecksum(header: Buffer): void {
  setString(header, 148, 8, `${checksum(header).toString(8).padStart(6, '0')}\0 `);
}

/** PAX records: "<length> <key>=<value>\n", the length counting the whole record. */
function parsePax(body: Buffer): Records {
  const records: Records = [];
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number(body.subarray(offset, space).toString('latin1'));
    if (!Number.isInteger(length) || length <= 0 || offset + length > body.length)
      throw new ArchiveNameError('The archive is damaged.');
    const record = body.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.push([record.slice(0, eq), record.slice(eq + 1)]);
    offset += length;
  }
  return records;
}

function paxRecord(key: string, value: string): Buffer {
  const payload = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(payload, 'utf8');
  // The length counts its own digits: grow it until it is stable.
  let length = bytes + String(bytes).length;
  while (length !== bytes + String(length).length) length = bytes + String(length).length;
  return Buffer.from(`${length}${payload}`, 'utf8');
}
