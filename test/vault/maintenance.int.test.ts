/**
 * Issue 13, the vault's side of the same world as attacks.int.test.ts: hostvault never tries a
 * delete through the vault, a scheduled backup leaves its retention to the vault, and the vault's
 * own retention and prune (full rights on the backing target) free space.
 *
 * (attacks.int.test.ts) A compromised hosting server cannot destroy its backups through the vault. The
 * agent's own vault credential and its repository password (worst case: the attacker has both)
 * are used the way a script on that server would use them: restic forget and prune, raw HTTP
 * DELETE and overwriting POSTs of a pack, an index, a key, a snapshot and the config; and another
 * agent's credential against this agent's repository. Each is refused, the repository checks
 * clean and every snapshot restores byte for byte. Retention and prune then run on the vault
 * side, with full rights, and free space. Real rclone, real restic (whichever is on PATH: the
 * suite runs this with 0.14 and 0.18), TLS with a CA made here.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { repositoryAccessSchema } from '../../src/agent/protocol.js';
import { EngineError, Restic, type RepositoryLocation } from '../../src/engine/index.js';
import { BackupService } from '../../src/host/backup-service.js';
import { HostRepositories } from '../../src/host/repositories.js';
import { customerSchema } from '../../src/inventory/schema.js';
import { tag } from '../../src/scope/scope.js';
import { repositoryUrl } from '../../src/target/location.js';
import { maintainOnVault } from '../../src/vault/maintenance.js';
import { bytesUnder, startVaultWorld, type VaultWorld } from './vault-world.js';

let work: string;
let world: VaultWorld;
let restic: Restic;
let location: RepositoryLocation;
let repositories: HostRepositories;
const password = randomBytes(24).toString('hex');
const owner = 'cust1';
const site = () => join(work, 'site');
const tags = [tag.customer('cust1'), tag.schedule(1)];
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

const repoDir = () => join(world.backingDir, 'web1', owner);

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
    console.log(`vault maintenance (${restic?.version.text}):\n  ${answers.join('\n  ')}`);
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the engine does not try forget or prune through the vault', async () => {
  await assert.rejects(
    restic.forget(location, { tags, keepLast: 1 }),
    (e: unknown) => e instanceof EngineError && /vault/.test(e.message),
  );
  await assert.rejects(restic.prune(location), EngineError);
});

test('a scheduled backup through the vault leaves its retention to the vault', async () => {
  const webRoot = join(work, 'home/www');
  mkdirSync(webRoot, { recursive: true });
  writeFileSync(join(webRoot, 'index.html'), 'hello');
  const customer = customerSchema.parse({
    id: 'cust2',
    name: 'Customer 2',
    linuxUser: 'cust2',
    uid: 1000,
    gid: 1000,
    packageId: 'basic',
    webRoot,
  });
  const target = world.targetOf('web1');
  const access = repositoryAccessSchema.parse({
    repositoryId: 2,
    url: repositoryUrl(target, 'cust2'),
    owner: 'cust2',
    target,
    password,
    initialized: false,
  });
  const backups = new BackupService({
    restic,
    repositories,
    databases: { dump: () => Promise.reject(new Error('no databases here')) },
    dataDir: join(work, 'data'),
  });
  const log: string[] = [];
  for (let run = 0; run < 2; run++) {
    const outcome = await backups.run({
      customer,
      schedule: 3,
      scope: 'web',
      repository: { ...access, initialized: run > 0 },
      retention: 1,
      onLog: (line) => log.push(line),
    });
    assert.deepEqual(outcome.forgotten, []);
  }
  assert.ok(
    log.some((line) => /Retention runs on the vault/.test(line)),
    log.join('\n'),
  );
  const open = await repositories.open({ ...access, initialized: true });
  assert.equal((await restic.snapshots(open.location)).length, 2, 'both snapshots are kept');
});

test('retention and prune on the vault side remove the old snapshot and free its space', async () => {
  const deps = {
    restic,
    target: { kind: 'local' as const, path: world.backingDir },
    certDir: join(work, 'certs'),
  };
  const repo = { agent: 'web1', owner, password };
  const bytesBefore = bytesUnder(repoDir());
  const kept = await maintainOnVault(deps, repo, { task: 'retention', schedule: 1, keepLast: 1 });
  // restic 0.14 reports a backup's snapshot by its short id, forget by its full one.
  assert.equal(kept.removed?.length, 1);
  assert.ok(kept.removed[0]!.startsWith(saved[0]!.id), 'the older snapshot went');
  await maintainOnVault(deps, repo, { task: 'prune' });
  const bytesAfter = bytesUnder(repoDir());
  answers.push(`vault-side retention + prune: ${bytesBefore} → ${bytesAfter} bytes`);
  // The first snapshot's 3 MB upload was only in it.
  assert.ok(bytesBefore - bytesAfter > 2_500_000, `freed ${bytesBefore - bytesAfter} bytes`);
  await maintainOnVault(deps, repo, { task: 'check', readDataSubset: '100%' });
  // The agent still reads and restores what is left, through the vault.
  const into = join(work, 'restore-after');
  await restic.restore(location, saved[1]!.id, { target: into });
  assert.deepEqual(treeOf(join(into, site())), saved[1]!.files);
});
