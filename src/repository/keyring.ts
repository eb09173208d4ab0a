import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/*
 * Master key file format: the 32 key bytes in standard base64 (44 characters) and one newline,
 * so an operator can back it up, compare or paste it as text. The file must be a regular file
 * owned by the service's user with no group or other permission bits; anything else is refused
 * rather than repaired, since a key that others could read must be treated as leaked.
 */

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SEAL_VERSION = 'v1';
// A valid file is 45 bytes; reading a little more tells "too long" apart from "just right".
const MAX_KEY_FILE_BYTES = 256;

/** The master key file is missing its guarantees; the message names the file. */
export class MasterKeyError extends Error {
  override readonly name = 'MasterKeyError';
  constructor(
    readonly file: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A sealed secret that cannot be opened; never carries the secret or the sealed text. */
export class SealError extends Error {
  override readonly name = 'SealError';
}

/**
 * Reads the master key from `file`, creating it with a fresh random key if it does not exist.
 *
 * Creation writes a private temporary file, fsyncs it, and hard-links it into place: link()
 * fails if the name exists, so among concurrent creators exactly one key wins and nobody ever
 * sees a partly written file. The losers read the winner's key.
 */
export async function loadOrCreateMasterKey(file: string): Promise<Buffer> {
  const path = resolve(file);
  const existing = await readMasterKey(path);
  if (existing !== undefined) return existing;

  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let won = false;
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${key.toString('base64')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(tmp, path);
      won = true;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') {
        throw new MasterKeyError(
          path,
          `cannot create master key file ${path}: ${errorText(error)}`,
          {
            cause: error,
          },
        );
      }
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  if (!won) {
    const winner = await readMasterKey(path);
    if (winner === undefined) {
      throw new MasterKeyError(path, `master key file ${path} vanished while it was being created`);
    }
    return winner;
  }
  await syncDirectory(dir);
  return key;
}

/** The key in `file`, or undefined if there is no such file. */
async function readMasterKey(path: string): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    if (errorCode(error) === 'ELOOP') {
      throw new MasterKeyError(
        path,
        `master key file ${path} is a symbolic link; refusing to use it`,
      );
    }
    throw new MasterKeyError(path, `cannot read master key file ${path}: ${errorText(error)}`, {
      cause: error,
    });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      throw new MasterKeyError(path, `master key file ${path} is not a regular file`);
    }
    const uid = process.geteuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new MasterKeyError(
        path,
        `master key file ${path} is owned by uid ${st.uid}, not by this service (uid ${uid}); ` +
          `refusing a key that another user controls`,
      );
    }
    if ((st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new MasterKeyError(
        path,
        `master key file ${path} has mode ${mode}, which lets other users read it; ` +
          `make it private (chmod 600 ${path}) and consider whether the key leaked`,
      );
    }
    const buffer = Buffer.alloc(MAX_KEY_FILE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const key = parseKey(buffer.subarray(0, bytesRead).toString('latin1'));
    buffer.fill(0);
    if (key === undefined) {
      throw new MasterKeyError(
        path,
        `master key file ${path} does not hold a ${KEY_BYTES}-byte key in base64 ` +
          `(44 characters and a newline)`,
      );
    }
    return key;
  } finally {
    await handle.close();
  }
}

function parseKey(text: string): Buffer | undefined {
  // Exactly one optional trailing newline: anything else suggests the wrong file.
  const match = /^([A-Za-z0-9+/]{43}=)\r?\n?$/.exec(text);
  if (match?.[1] === undefined) return undefined;
  const key = Buffer.from(match[1], 'base64');
  return key.length === KEY_BYTES ? key : undefined;
}

// Without this a power failure can lose the new directory entry even though the file's data
// was synced, and the next start would make a different key.
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Seals secrets (repository passwords, target credentials) for storage in the database.
 *
 * AES-256-GCM with a random 96-bit nonce, under a key derived from the master key with HKDF so
 * that the master key can later serve other purposes (signing links, say) without reusing one
 * key across algorithms. The context, such as the repository url, is authenticated but not
 * stored: a sealed value copied onto another row does not open there.
 *
 * Format: `v1.<base64url nonce>.<base64url ciphertext with the 16-byte tag appended>`.
 */
export class Keyring {
  readonly #key: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== KEY_BYTES) {
      throw new Error(`master key must be ${KEY_BYTES} bytes, got ${masterKey.length}`);
    }
    this.#key = Buffer.from(
      hkdfSync('sha256', masterKey, Buffer.alloc(0), 'hostvault keyring v1 aes-256-gcm', KEY_BYTES),
    );
  }

  seal(plaintext: string, context: string): string {
    const aad = contextBytes(context);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const body = Buffer.concat([
      cipher.update(plaintext, 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return `${SEAL_VERSION}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
  }

  open(sealed: string, context: string): string {
    const aad = contextBytes(context);
    const parts = sealed.split('.');
    if (parts.length !== 3 || parts[0] !== SEAL_VERSION) {
      const version = parts.length === 3 && /^v\d+$/.test(parts[0] ?? '') ? ` (${parts[0]})` : '';
      throw new SealError(`sealed secret is not in a supported format${version}`);
    }
    const nonce = decodeBase64url(parts[1] ?? '');
    const body = decodeBase64url(parts[2] ?? '');
    if (nonce?.length !== NONCE_BYTES || body === undefined || body.length < TAG_BYTES) {
      throw new SealError('sealed secret is malformed');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(aad);
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      const plain = Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return plain.toString('utf8');
    } catch {
      // Deliberately without the cause: it adds nothing, and nothing secret may leak from here.
      throw new SealError(
        'cannot open sealed secret: it was sealed under another master key or for another ' +
          'context, or it was altered',
      );
    }
  }
}

/** A new repository password: 256 random bits, base64url (43 characters, no padding). */
export function generateRepositoryPassword(): string {
  return randomBytes(32).toString('base64url');
}

function contextBytes(context: string): Buffer {
  // An empty context would let any sealed secret open anywhere; it is always a mistake.
  if (context.length === 0) throw new Error('keyring context must not be empty');
  return Buffer.from(context, 'utf8');
}

function decodeBase64url(text: string): Buffer | undefined {
  // Buffer.from() skips characters it does not know; an exact check keeps the format strict.
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
