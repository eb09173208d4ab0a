import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  Keyring,
  MasterKeyError,
  SealError,
  generateRepositoryPassword,
  loadOrCreateMasterKey,
} from './keyring.js';

const URL_A = 's3:https://s3.example.net/bucket/prefix/c42';
const URL_B = 's3:https://s3.example.net/bucket/prefix/c43';
const SECRET = 'correct horse battery staple ✓';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostvault-keyring-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Flips one bit of the decoded byte at `index` in the given dot-separated part. */
function flipBit(sealed: string, part: 1 | 2, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part] ?? '', 'base64url');
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

function assertOpenFails(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SealError, String(error));
    assert.match(error.message, message);
    assert.ok(!error.message.includes(SECRET), 'error echoes the secret');
    assert.ok(!error.message.includes('v1.'), 'error echoes the sealed text');
    return true;
  });
}

describe('Keyring', () => {
  const keyring = new Keyring(randomBytes(32));

  test('opens what it sealed', () => {
    for (const plaintext of [SECRET, '', 'x'.repeat(10_000), generateRepositoryPassword()]) {
      assert.equal(keyring.open(keyring.seal(plaintext, URL_A), URL_A), plaintext);
    }
  });

  test('writes v1.<nonce>.<ciphertext+tag> with a fresh nonce each time', () => {
    const a = keyring.seal(SECRET, URL_A);
    const b = keyring.seal(SECRET, URL_A);
    assert.notEqual(a, b);
    for (const sealed of [a, b]) {
      assert.match(sealed, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
      const [, nonce, body] = sealed.split('.');
      assert.equal(Buffer.from(nonce ?? '', 'base64url').length, 12);
      assert.equal(Buffer.from(body ?? '', 'base64url').length, Buffer.byteLength(SECRET) + 16);
      assert.ok(!sealed.includes(Buffer.from(SECRET).toString('base64url')));
    }
    assert.notEqual(a.split('.')[1], b.split('.')[1]);
  });

  test('detects tampering with nonce, ciphertext or tag', () => {
    const sealed = keyring.seal(SECRET, URL_A);
    const bodyLength = Buffer.from(sealed.split('.')[2] ?? '', 'base64url').length;
    const altered = [
      flipBit(sealed, 1, 0),
      flipBit(sealed, 1, 11),
      flipBit(sealed, 2, 0),
      flipBit(sealed, 2, bodyLength - 17), // last ciphertext byte
      flipBit(sealed, 2, bodyLength - 1), // last tag byte
    ];
    for (const text of altered) {
      assert.notEqual(text, sealed);
      assertOpenFails(() => keyring.open(text, URL_A), /altered/);
    }
  });

  test('refuses truncated, padded and malformed input', () => {
    const sealed = keyring.seal(SECRET, URL_A);
    const [, nonce, body] = sealed.split('.') as [string, string, string];
    const shortBody = Buffer.from(body, 'base64url').subarray(0, 15).toString('base64url');
    const cases: Array<[string, RegExp]> = [
      [sealed.slice(0, -4), /altered|malformed/],
      [`${sealed}AAAA`, /altered/],
      [`v1.${nonce}.${shortBody}`, /malformed/],
      [`v1.${nonce.slice(0, -2)}.${body}`, /malformed/],
      [`v1.${nonce}.${body}=`, /malformed/],
      [`v1.${nonce}.${body.slice(0, 10)}+${body.slice(11)}`, /malformed/],
      [`v1.${nonce}`, /not in a supported format/],
      [`v2.${nonce}.${body}`, /not in a supported format \(v2\)/],
      [`${sealed}.extra`, /not in a supported format/],
      ['', /not in a supported format/],
      [SECRET, /not in a supported format/],
    ];
    for (const [text, message] of cases) {
      assertOpenFails(() => keyring.open(text, URL_A), message);
    }
  });

  test('refuses a secret sealed for another context', () => {
    const sealed = keyring.seal(SECRET, URL_A);
    assertOpenFails(() => keyring.open(sealed, URL_B), /another context/);
    assertOpenFails(() => keyring.open(sealed, `${URL_A} `), /another context/);
  });

  test('refuses a secret sealed under another master key', () => {
    const sealed = keyring.seal(SECRET, URL_A);
    assertOpenFails(() => new Keyring(randomBytes(32)).open(sealed, URL_A), /another master key/);
  });

  test('opens with a second instance over the same master key', () => {
    const key = randomBytes(32);
    const sealed = new Keyring(key).seal(SECRET, URL_A);
    assert.equal(new Keyring(Buffer.from(key)).open(sealed, URL_A), SECRET);
  });

  test('refuses an empty context and a master key of the wrong size', () => {
    assert.throws(() => keyring.seal(SECRET, ''), /context must not be empty/);
    assert.throws(() => keyring.open(keyring.seal(SECRET, URL_A), ''), /context must not be empty/);
    assert.throws(() => new Keyring(randomBytes(16)), /master key must be 32 bytes, got 16/);
    assert.throws(() => new Keyring(Buffer.alloc(0)), /master key must be 32 bytes, got 0/);
  });
});

describe('generateRepositoryPassword', () => {
  test('gives 256 random bits as base64url', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const password = generateRepositoryPassword();
      assert.match(password, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(password, 'base64url').length, 32);
      seen.add(password);
    }
    assert.equal(seen.size, 1000);
  });
});

describe('loadOrCreateMasterKey', () => {
  test('creates a 0600 key file, and its directory 0700, then reads the same key', async () => {
    const keyDir = join(dir, 'created', 'keys');
    const file = join(keyDir, 'master.key');
    const key = await loadOrCreateMasterKey(file);
    assert.equal(key.length, 32);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(keyDir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, 'created'))).mode & 0o777, 0o700);
    assert.equal(await readFile(file, 'utf8'), `${key.toString('base64')}\n`);
    assert.deepEqual(await readdir(keyDir), ['master.key'], 'a temporary file was left behind');

    assert.deepEqual(await loadOrCreateMasterKey(file), key);
    const keyring = new Keyring(key);
    const sealed = keyring.seal(SECRET, URL_A);
    assert.equal(new Keyring(await loadOrCreateMasterKey(file)).open(sealed, URL_A), SECRET);
  });

  test('leaves an existing directory mode alone', async () => {
    const keyDir = join(dir, 'existing');
    await mkdir(keyDir, { mode: 0o755 });
    await chmod(keyDir, 0o755);
    await loadOrCreateMasterKey(join(keyDir, 'master.key'));
    assert.equal((await stat(keyDir)).mode & 0o777, 0o755);
  });

  test('accepts a key file written by hand without the trailing newline', async () => {
    const file = join(dir, 'no-newline.key');
    const key = randomBytes(32);
    await writeFile(file, key.toString('base64'), { mode: 0o600 });
    assert.deepEqual(await loadOrCreateMasterKey(file), key);
  });

  test('refuses a key file that others can read, naming the file', async () => {
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      const file = join(dir, `mode-${mode.toString(8)}.key`);
      await writeFile(file, `${randomBytes(32).toString('base64')}\n`);
      await chmod(file, mode);
      await assert.rejects(loadOrCreateMasterKey(file), (error: unknown) => {
        assert.ok(error instanceof MasterKeyError);
        assert.equal(error.file, file);
        assert.ok(error.message.includes(file), error.message);
        assert.match(error.message, new RegExp(`mode 0${mode.toString(8)}.*chmod 600`));
        return true;
      });
      // Refused, not repaired: the operator decides what a possibly leaked key means.
      assert.equal((await stat(file)).mode & 0o777, mode);
    }
  });

  test('refuses a key file that is not one 32-byte base64 key', async () => {
    const contents = [
      '',
      '\n',
      `${randomBytes(16).toString('base64')}\n`,
      `${randomBytes(33).toString('base64')}\n`,
      `${randomBytes(32).toString('base64')}\n\n`,
      ` ${randomBytes(32).toString('base64')}\n`,
      `${randomBytes(32).toString('base64url')}\n`,
      randomBytes(32).toString('latin1'), // raw bytes are not the format
      `${randomBytes(32).toString('base64')}\n${randomBytes(300).toString('base64')}\n`,
    ];
    for (const [i, content] of contents.entries()) {
      const file = join(dir, `bad-${i}.key`);
      await writeFile(file, content, { encoding: 'latin1', mode: 0o600 });
      await assert.rejects(loadOrCreateMasterKey(file), (error: unknown) => {
        assert.ok(error instanceof MasterKeyError, String(error));
        assert.equal(
          error.message,
          `master key file ${file} does not hold a 32-byte key in base64 (44 characters and a newline)`,
        );
        return true;
      });
      assert.equal(await readFile(file, 'latin1'), content, 'the file was changed');
    }
  });

  test('refuses a directory and a symbolic link in place of the key file', async () => {
    const asDir = join(dir, 'dir.key');
    await mkdir(asDir, { mode: 0o700 });
    await assert.rejects(
      loadOrCreateMasterKey(asDir),
      /master key file .*dir\.key is not a regular/,
    );

    const real = join(dir, 'real.key');
    await loadOrCreateMasterKey(real);
    const link = join(dir, 'link.key');
    await symlink(real, link);
    await assert.rejects(
      loadOrCreateMasterKey(link),
      /master key file .*link\.key is a symbolic link/,
    );
  });

  test(
    'refuses a key file owned by another user',
    { skip: process.geteuid?.() !== 0 && 'needs root to chown' },
    async () => {
      const file = join(dir, 'foreign.key');
      await writeFile(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      await chown(file, 65534, 65534);
      await assert.rejects(loadOrCreateMasterKey(file), /foreign\.key is owned by uid 65534/);
    },
  );

  test('concurrent creators in one process all get the one key that was written', async () => {
    const file = join(dir, 'race-in-process', 'master.key');
    const keys = await Promise.all(Array.from({ length: 16 }, () => loadOrCreateMasterKey(file)));
    const written = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
    for (const key of keys) assert.deepEqual(key, written);
    assert.deepEqual(await readdir(join(dir, 'race-in-process')), ['master.key']);
  });

  test('two processes creating at once end up with the same key', async () => {
    const raceDir = join(dir, 'race-processes');
    const file = join(raceDir, 'master.key');
    const script = `
      const { loadOrCreateMasterKey } = await import(${JSON.stringify(new URL('./keyring.ts', import.meta.url).href)});
      process.stdout.write('ready\\n');
      await new Promise((r) => process.stdin.once('data', r));
      const key = await loadOrCreateMasterKey(${JSON.stringify(file)});
      process.stdout.write(key.toString('hex') + '\\n');
      process.stdin.destroy();
    `;
    const children = [0, 1].map(() =>
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    let ready = 0;
    let release!: () => void;
    const allReady = new Promise<void>((resolve) => (release = resolve));
    const outputs = children.map(
      (child) =>
        new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            if (out === 'ready\n' && ++ready === children.length) release();
          });
          child.on('error', reject);
          child.on('close', (code) =>
            code === 0
              ? resolve(out.replace(/^ready\n/, '').trim())
              : reject(new Error(`exit ${code}`)),
          );
        }),
    );
    try {
      // Release both together once both have loaded, so their creations overlap.
      await allReady;
      for (const child of children) child.stdin.write('go\n');
      const [a, b] = await Promise.all(outputs);
      assert.match(a ?? '', /^[0-9a-f]{64}$/);
      assert.equal(a, b);
      assert.equal(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64').toString('hex'), a);
      assert.deepEqual(await readdir(raceDir), ['master.key']);
    } finally {
      // A failed assertion must not leave a child waiting on stdin forever.
      for (const child of children) child.kill();
    }
  });
});
