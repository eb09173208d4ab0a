/**
 * `hostvault serve` as a child process, for drills that kill it: started with the given
 * environment, its URL read from its log line.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { openApp } from '../../src/app.js';
import { AuthService } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config.js';
import { targetSchema } from '../../src/target/schema.js';
import { CLI_FROM_SOURCES } from './cli.js';

export async function startServe(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...CLI_FROM_SOURCES, 'serve'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: a start after a kill runs recovery first, and the suite shares a busy machine
    // (30 s ran out at a load of 16). How fast it starts is the bench's business.
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${output}`)), 120_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const found = /listening on (http:\/\/[0-9.:]+)/.exec(output)?.[1];
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.on('exit', () => reject(new Error(`service exited:\n${output}`)));
  });
  return { child, url };
}

/** Signs in over HTTP and returns a caller that sends the session cookie and CSRF token. */
export async function session(url: string, username: string, password: string) {
  const response = await fetch(`${url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  return async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${url}${path}`, {
      method,
      headers: {
        cookie,
        'x-csrf-token': csrfToken,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely
    return (await r.json()) as any;
  };
}

export const ADMIN_PASSWORD = 'drill-admin-password';

/** The environment of a service over `dir`: its data, its master key, any free port. */
export function serviceEnv(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOSTVAULT_DATA_DIR: join(dir, 'data'),
    HOSTVAULT_KEY_FILE: join(dir, 'master.key'),
    HOSTVAULT_PORT: '0',
    HOSTVAULT_ADMIN_PASSWORD: ADMIN_PASSWORD,
  };
}

export interface TestCustomer {
  id: string;
  uid: number;
  webRoot: string;
  /** Signs in as `id` with this password. */
  password: string;
}

/**
 * Before the service starts: one customer with a web root, on a package of daily backups, who
 * can sign in. `work` runs with the app still open (e.g. to make the customer's repository).
 */
export async function prepareCustomer<T = void>(
  env: NodeJS.ProcessEnv,
  customer: TestCustomer,
  work?: (app: Awaited<ReturnType<typeof openApp>>) => Promise<T>,
): Promise<T | undefined> {
  const app = await openApp(loadConfig(env));
  try {
    await app.inventory.importInventory({
      packages: [{ id: 'p', name: 'P', frequencies: ['daily'], maxRetention: 30, maxSchedules: 5 }],
      customers: [
        {
          id: customer.id,
          name: customer.id,
          linuxUser: customer.id,
          uid: customer.uid,
          gid: customer.uid,
          packageId: 'p',
          webRoot: customer.webRoot,
        },
      ],
    });
    await new AuthService({ store: app.store, masterKey: app.masterKey }).createUser({
      username: customer.id,
      password: customer.password,
      role: 'customer',
      customerId: customer.id,
    });
    return await work?.(app);
  } finally {
    await app.close();
  }
}

/**
 * After a drill, with the service stopped: the customer's local repository reads clean with
 * `restic check` and holds no lock.
 */
export async function assertRepositoryClean(
  env: NodeJS.ProcessEnv,
  customerId: string,
): Promise<void> {
  const app = await openApp(loadConfig(env));
  try {
    const target = targetSchema.parse({ kind: 'local', path: app.config.localRepositoryDir });
    await app.repositories.withRepository(target, customerId, async (repo) => {
      await app.restic.check(repo.location);
      assert.deepEqual(await app.restic.locks(repo.location), []);
    });
  } finally {
    await app.close();
  }
}

/**
 * With the service stopped: the tags of the snapshots in the customer's local repository that
 * carry all of `tags`, by snapshot id.
 */
export async function snapshotTags(
  env: NodeJS.ProcessEnv,
  customerId: string,
  tags: string[],
): Promise<Map<string, string[]>> {
  const app = await openApp(loadConfig(env));
  try {
    const target = targetSchema.parse({ kind: 'local', path: app.config.localRepositoryDir });
    return await app.repositories.withRepository(target, customerId, async (repo) => {
      const found = await app.restic.snapshots(repo.location, { tags });
      return new Map(found.map((s) => [s.id, s.tags]));
    });
  } finally {
    await app.close();
  }
}
