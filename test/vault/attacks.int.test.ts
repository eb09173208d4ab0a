/**
 * Issue 13: a compromised hosting server cannot destroy its backups through the vault. The
 * agent's own vault credential and its repository password (worst case: the attacker has both)
 * are used the way a script on that server would use them: restic forget and prune, raw HTTP
 * DELETE and overwriting POSTs of a pack, an index, a key, a snapshot and the config; and another
 * agent's credential against this agent's repository. Each is refused, the repository checks
 * clean and every snapshot restores byte for byte. Retention and prune then run on the vault
 * side, with full rights, and free space. Real rclone, real restic (whichever is on PATH: the
 * suite runs this with 0.14 and 0.18), TLS with a CA made here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { repositoryAccessSchema } from '../../src/agent/protocol.js';
import { Restic, type RepositoryLocation } from '../../src/engine/index.js';
import { HostRepositories } from '../../src/host/repositories.js';
import { locate } from '../../src/host/locate.js';
import { repositoryUrl } from '../../src/target/location.js';
import { fingerprint, startVaultWorld, vaultRequest, type VaultWorld } from './vault-world.js';

let work: string;
let world: VaultWorld;
let restic: Restic;
let location: RepositoryLocation;
let repositories: HostRepositories;
const password = randomBytes(24).toString('hex');
const owner = 'cust1';
const site = () => join(work, 'site');
const tags = ['hv-customer:cust1', 'hv-schedule:1'];
/** Each snapshot with the content of every file it saved (relative path → sha256). */
const saved: { id: string; files: Map<string, string> }[] = [];
/** What each refusal answered, for the record (printed at the end). */
const answers: string[] = [];

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function treeOf(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(root, p), sha(readFileSync(p)));
    }
  };
  walk(root);
  return out;
}

async function backup(): Promise<void> {
  const result = await restic.backup(location, { paths: [site()], tags });
  saved.push({ id: result.summary.snapshotId, files: treeOf(site()) });
}

/** restic as the attacker runs it: the agent's vault URL with its credential, the password. */
function attackerRestic(args: string[]): { code: number | null; stderr: string } {
  const run = spawnSync('restic', ['--cacert', location.caCertFile!, '--no-cache', ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: work,
      RESTIC_REPOSITORY: location.env!.RESTIC_REPOSITORY,
      RESTIC_PASSWORD: password,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: run.status, stderr: run.stderr };
}

const repoDir = () => join(world.backingDir, 'web1', owner);
const firstFile = (sub: string) =>
  readdirSync(join(repoDir(), sub), { recursive: true, withFileTypes: true }).find((e) =>
    e.isFile(),
  )!;
const repoPath = (sub: string) => {
  const file = firstFile(sub);
  return `${relative(repoDir(), join(file.parentPath, file.name))}`;
};

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'hv-vault-'));
  world = await startVaultWorld(work, ['web1', 'web2']);
  restic = await Restic.detect({ cacheDir: join(work, 'cache') });
  // The agent's way in: the existing host code, with the target a request carries.
  const target = world.targetOf('web1');
  const access = repositoryAccessSchema.parse({
    repositoryId: 1,
    url: repositoryUrl(target, owner),
    owner,
    target,
    password,
    initialized: false,
  });
  repositories = new HostRepositories({ restic, certDir: join(work, 'certs') });
  location = await repositories.withRepository(access, async (repo) => repo.location);
  mkdirSync(join(site(), 'www'), { recursive: true });
  writeFileSync(join(site(), 'www/index.php'), '<?php echo "v1";\n'.repeat(200));
  writeFileSync(join(site(), 'www/old-upload.bin'), randomBytes(3_000_000));
  await backup();
  writeFileSync(join(site(), 'www/index.php'), '<?php echo "v2";\n'.repeat(200));
  rmSync(join(site(), 'www/old-upload.bin'));
  writeFileSync(join(site(), 'www/new-upload.bin'), randomBytes(500_000));
  await backup();
});

after(async () => {
  await world?.server.stop();
  if (answers.length)
    console.log(`vault refusals (${restic?.version.text}):\n  ${answers.join('\n  ')}`);
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the agent backs up through the vault, and the credential never reaches restic argv', () => {
  assert.equal(saved.length, 2);
  assert.match(location.url, /^rest:https:\/\/127\.0\.0\.1:\d+\/web1\/cust1$/);
  assert.ok(!location.url.includes(world.credentials.web1!));
  assert.ok(location.env?.RESTIC_REPOSITORY?.includes(world.credentials.web1!));
  assert.ok(firstFile('snapshots'), 'the snapshots lie in the backing directory below web1/cust1');
});

test('attacks with the agent’s own credential are refused and change nothing', async () => {
  const before = fingerprint(repoDir());
  assert.ok(before.size >= 8);

  // restic forget: 0.14 exits 1, 0.18 exits 0 with "unable to remove" — the files decide.
  const forget = attackerRestic(['forget', '--keep-last', '1']);
  assert.match(forget.stderr, /403/);
  answers.push(`restic forget --keep-last 1: exit ${forget.code}, server answered 403`);
  assert.deepEqual(fingerprint(repoDir()), before, 'forget removed nothing');

  // restic prune: nothing is unreferenced as forget failed, so it has nothing it could delete;
  // on restic ≥ 0.17 (which gives up on a 403 at once, where 0.14 retries for about a minute) a
  // pack the attacker uploaded unreferenced makes prune try a DELETE.
  if (restic.version.minor >= 17) {
    const junk = randomBytes(32).toString('hex');
    assert.equal(
      await vaultRequest(world, {
        method: 'POST',
        path: `/web1/${owner}/data/${junk}`,
        agent: 'web1',
        body: randomBytes(100),
      }),
      200,
    );
    const withJunk = fingerprint(repoDir());
    const prune = attackerRestic(['prune']);
    assert.match(prune.stderr, /403/);
    answers.push(
      `restic prune (with an unreferenced pack to delete): exit ${prune.code}, server answered 403`,
    );
    assert.deepEqual(fingerprint(repoDir()), withJunk, 'prune removed nothing');
    for (const [k, v] of withJunk) if (!before.has(k)) before.set(k, v);
  } else {
    const prune = attackerRestic(['prune']);
    answers.push(`restic prune: exit ${prune.code}, nothing deletable (forget was refused)`);
    assert.deepEqual(fingerprint(repoDir()), before, 'prune removed nothing');
  }

  // Raw HTTP: every kind of file, deleted and overwritten.
  for (const sub of ['data', 'index', 'keys', 'snapshots', 'config']) {
    const path = `/web1/${owner}/${sub === 'config' ? 'config' : repoPath(sub)}`;
    const del = await vaultRequest(world, { method: 'DELETE', path, agent: 'web1' });
    const post = await vaultRequest(world, {
      method: 'POST',
      path,
      agent: 'web1',
      body: randomBytes(64),
    });
    answers.push(`DELETE ${sub}: ${del}; POST over it: ${post}`);
    assert.equal(del, 403, `DELETE ${path}`);
    assert.equal(post, 403, `POST over ${path}`);
  }
  // The whole repository at once, and a path that climbs out of it.
  const whole = await vaultRequest(world, {
    method: 'DELETE',
    path: `/web1/${owner}/`,
    agent: 'web1',
  });
  answers.push(`DELETE the repository: ${whole}`);
  assert.ok(whole >= 400, `DELETE the repository answered ${whole}`);
  assert.deepEqual(fingerprint(repoDir()), before, 'no file changed');
});

test('another agent cannot read, list or write this agent’s repository; a wrong password gets nothing', async () => {
  const configPath = `/web1/${owner}/config`;
  const cases = [
    ['web2 reads the config', { method: 'GET', path: configPath, agent: 'web2' }],
    [
      'web2 lists the snapshots',
      { method: 'GET', path: `/web1/${owner}/snapshots/`, agent: 'web2' },
    ],
    [
      'web2 reads a pack',
      { method: 'GET', path: `/web1/${owner}/${repoPath('data')}`, agent: 'web2' },
    ],
    [
      'web2 adds a snapshot',
      {
        method: 'POST',
        path: `/web1/${owner}/snapshots/${randomBytes(32).toString('hex')}`,
        agent: 'web2',
        body: randomBytes(10),
      },
    ],
    [
      'web2 creates a repository below web1',
      { method: 'POST', path: `/web1/other/?create=true`, agent: 'web2' },
    ],
  ] as const;
  for (const [what, opts] of cases) {
    const status = await vaultRequest(world, opts);
    answers.push(`${what}: ${status}`);
    assert.equal(status, 403, what);
  }
  const wrong = await vaultRequest(world, {
    method: 'GET',
    path: configPath,
    agent: 'web1',
    password: 'guess',
  });
  answers.push(`web1 with a wrong password: ${wrong}`);
  assert.equal(wrong, 401);
  // web2's restic with web2's own credential on web1's path.
  const web2 = await locate(world.targetOf('web2'), owner, { certDir: join(work, 'certs') });
  const foreign = {
    ...web2,
    env: { RESTIC_REPOSITORY: web2.env!.RESTIC_REPOSITORY!.replace('/web2/', '/web1/') },
    password,
  };
  await assert.rejects(restic.snapshots(foreign, { timeoutMs: 30_000 }));
  const ownReadable = await vaultRequest(world, { method: 'GET', path: configPath, agent: 'web1' });
  assert.equal(ownReadable, 200);
});

test('afterwards the repository checks clean and every snapshot restores byte for byte', async () => {
  await restic.check(location, { readDataSubset: '100%' });
  for (const snap of saved) {
    const into = join(work, `restore-${snap.id.slice(0, 8)}`);
    await restic.restore(location, snap.id, { target: into });
    assert.deepEqual(treeOf(join(into, site())), snap.files, `snapshot ${snap.id.slice(0, 8)}`);
  }
});
