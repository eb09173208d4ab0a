/**
 * What `hostvault serve` tells its operator on a first start: where the administrator's password
 * is, never the password itself, since stdout often ends up in a log others can read. The demo
 * customers' sign-ins follow the same rule.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AuthService } from './auth/index.js';
import { openStore } from './store/index.js';
import { demoSignIns } from './serve.js';
import { CLI_FROM_SOURCES } from '../test/support/cli.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-secrets-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('first start', () => {
  test("the administrator's password is in a 0600 file and in no output", async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOSTVAULT_DATA_DIR: join(work, 'data'),
      HOSTVAULT_KEY_FILE: join(work, 'master.key'),
      HOSTVAULT_PORT: '0',
    };
    delete env.HOSTVAULT_ADMIN_PASSWORD;
    const child = spawn(process.execPath, [...CLI_FROM_SOURCES, 'serve'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start:\n${stdout}${stderr}`)), 30_000);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const found = /listening on (http:\/\/[0-9.:]+)/.exec(stdout)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
      child.on('exit', () => reject(new Error(`exited:\n${stdout}${stderr}`)));
    });
    try {
      const file = join(work, 'data', 'initial-admin-password');
      const password = (await readFile(file, 'utf8')).trim();
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal((await stat(file)).uid, process.getuid?.());
      const signIn = await fetch(`${url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
      assert.equal(signIn.status, 200, 'the file holds the working password');
      assert.ok(stdout.includes(file), `stdout says where it is:\n${stdout}`);
      assert.ok(!stdout.includes(password), 'not in stdout');
      assert.ok(!stderr.includes(password), 'not in stderr');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  test("serve --demo: the demo customers' passwords go to a 0600 file as well", async () => {
    const store = await openStore({ memory: true });
    try {
      const auth = new AuthService({
        store,
        masterKey: Buffer.alloc(32, 1),
        passwordCost: { log2N: 10, r: 8, p: 1 },
      });
      const file = join(work, 'demo-sign-ins');
      const printed: string[] = [];
      const print = (text: string) => printed.push(text);
      await demoSignIns(store, auth, ['alice', 'bob'], file, print);
      await demoSignIns(store, auth, ['alice', 'bob', 'carol'], file, print);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      assert.deepEqual(
        lines.map((l) => l.split(' ')[0]),
        ['alice', 'bob', 'carol'],
        'a later run adds its users to those before',
      );
      for (const line of lines) {
        const [name = '', password = ''] = line.split(' ');
        assert.ok(await auth.verifyPassword(name, password), name);
        assert.ok(!printed.join('\n').includes(password), `${name}'s password not printed`);
      }
      assert.equal(printed.length, 2);
      assert.ok(printed.every((text) => text.includes(file)));
    } finally {
      await store.close();
    }
  });
});
