/**
 * The vault's credentials: one htpasswd line per agent (`<agent>:<bcrypt hash>`), the file
 * rclone's `--htpasswd` reads. With `--private-repos` the user name is also the first part of
 * every path that user may touch, so an agent's name is its confinement.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';

/** Names that are safe as an htpasswd user and as a path part on every target. */
export const AGENT_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * bcrypt's cost. rclone checks the hash on every request restic makes, so a high cost slows
 * every backup; the password is 192 random bits, which no cost factor needs to protect against
 * guessing, so the cost only has to satisfy bcrypt.
 */
const COST = 5;

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** bcrypt's own base64 (OpenBSD's encode_base64) of 16 salt bytes: 22 characters. */
function bcryptSalt(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const c1 = bytes[i++]!;
    out += BCRYPT_ALPHABET[c1 >> 2];
    let c = (c1 & 0x03) << 4;
    if (i >= bytes.length) {
      out += BCRYPT_ALPHABET[c];
      break;
    }
    const c2 = bytes[i++]!;
    out += BCRYPT_ALPHABET[c | (c2 >> 4)];
    c = (c2 & 0x0f) << 2;
    if (i >= bytes.length) {
      out += BCRYPT_ALPHABET[c];
      break;
    }
    const c3 = bytes[i++]!;
    out += BCRYPT_ALPHABET[c | (c3 >> 6)];
    out += BCRYPT_ALPHABET[c3 & 0x3f];
  }
  return out;
}

/**
 * The bcrypt hash of `password`. Node has no bcrypt and no package here brings one; the C
 * library's crypt() (libxcrypt on Debian 12 and 13) has, and perl (always installed on Debian)
 * reaches it. The password goes on perl's stdin, never in argv.
 */
export async function bcryptHash(password: string): Promise<string> {
  const setting = `$2b$${String(COST).padStart(2, '0')}$${bcryptSalt(randomBytes(16))}`;
  const child = spawn(
    'perl',
    ['-e', 'my $p = <STDIN>; my $h = crypt($p, $ARGV[0]); print defined $h ? $h : ""', setting],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stdin.end(password);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0 || !out.startsWith(setting.slice(0, 29)))
    throw new Error('crypt() made no bcrypt hash: is libxcrypt with bcrypt installed?');
  return out;
}

async function readLines(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim() !== '');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The agents that have a credential. */
export async function listAgents(file: string): Promise<string[]> {
  return (await readLines(file)).map((line) => line.slice(0, line.indexOf(':')));
}

/**
 * A new random password for `agent`, replacing any it had; the password is returned once and
 * only its hash is kept. The file is replaced whole (0600), so rclone never reads half of it.
 */
export async function issueCredential(file: string, agent: string): Promise<string> {
  if (!AGENT_NAME.test(agent))
    throw new Error(
      'An agent name may contain only lower-case letters, digits, dashes and underscores.',
    );
  const password = randomBytes(24).toString('base64url');
  const line = `${agent}:${await bcryptHash(password)}`;
  const kept = (await readLines(file)).filter((l) => !l.startsWith(`${agent}:`));
  await replaceFile(file, [...kept, line]);
  return password;
}

/** Takes an agent's credential away; whether it had one. */
export async function revokeCredential(file: string, agent: string): Promise<boolean> {
  const lines = await readLines(file);
  const kept = lines.filter((l) => !l.startsWith(`${agent}:`));
  if (kept.length === lines.length) return false;
  await replaceFile(file, kept);
  return true;
}

async function replaceFile(file: string, lines: string[]): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
  await rename(temp, file);
}
