/**
 * Issue 13: a first backup of the bench tree through the vault (restic → TLS → `rclone serve
 * restic --append-only --private-repos` with a bcrypt credential → a local directory) against the
 * same backup straight into a local directory, both through the engine, on the same machine. The
 * vault's rclone runs here too, so its CPU competes with restic's as on a vault that is also the
 * controller's host. Target: ≤ 1.15×.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { locate } from '../../src/host/locate.js';
import { issueCredential } from '../../src/vault/htpasswd.js';
import { startVaultServer } from '../../src/vault/vault-server.js';
import { makeCertificates } from '../../test/vault/vault-world.js';
import { MB, initRawLike, measurePair, type BenchCase } from '../harness.js';

export const vaultBackup: BenchCase = {
  name: 'vault',
  async run(ctx) {
    const dir = join(ctx.workDir, `vault-${ctx.round}`);
    mkdirSync(dir, { recursive: true });
    ctx.defer(() => rmSync(dir, { recursive: true, force: true }));
    const certs = makeCertificates(dir);
    const htpasswdFile = join(dir, 'vault.htpasswd');
    const password = await issueCredential(htpasswdFile, 'bench');
    const backing = join(dir, 'backing');
    const server = await startVaultServer({
      target: { kind: 'local', path: backing },
      listen: '127.0.0.1:0',
      certFile: certs.cert,
      keyFile: certs.key,
      htpasswdFile,
      workDir: join(dir, 'work'),
    });
    ctx.defer(() => server.stop());
    const repoPassword = randomBytes(32).toString('hex');
    const throughVault = {
      ...(await locate(
        {
          kind: 'vault',
          url: server.url,
          user: 'bench',
          password,
          caCert: readFileSync(certs.ca, 'utf8'),
        },
        'customer',
        { certDir: join(dir, 'certs') },
      )),
      password: repoPassword,
    };
    const direct = { url: join(dir, 'direct'), password: repoPassword };
    await ctx.restic.init(throughVault);
    // Both keys with the same scrypt cost, so opening costs the same on both sides.
    const kdf = await initRawLike(ctx, join(backing, 'bench', 'customer'), direct);
    const paths = [ctx.dataset.root];
    const { engine, raw } = await measurePair(ctx, 1, {
      engine: () => ctx.restic.backup(throughVault, { paths, tags: ['bench'] }),
      raw: () => ctx.restic.backup(direct, { paths, tags: ['bench'] }),
    });
    ctx.log(
      `vault: first backup through the vault ${engine.seconds.toFixed(2)} s, direct ${raw.seconds.toFixed(2)} s`,
    );
    return [
      {
        case: 'first backup through the vault vs direct',
        measured: engine.seconds,
        baseline: raw.seconds,
        unit: 's',
        target: { on: 'ratio', op: '<=', value: 1.15 },
        notes: `${ctx.dataset.plan.length} files, ${(ctx.dataset.totalBytes / MB).toFixed(0)} MB; both through the engine; TLS, bcrypt, rclone on this machine; ${kdf}`,
      },
      {
        case: 'CPU, first backup through the vault vs direct',
        measured: engine.cpu,
        baseline: raw.cpu,
        unit: 's',
        notes: "informational; this process and restic, not the vault's rclone",
      },
    ];
  },
};
