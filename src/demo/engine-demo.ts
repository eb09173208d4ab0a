/**
 * A first look at the engine on real data: three customers' web roots backed up into their own
 * encrypted repositories, an incremental re-run, and a deleted file restored.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openApp } from '../app.js';
import type { Config } from '../config.js';
import { targetSchema } from '../target/schema.js';

const CUSTOMERS = ['alice', 'bob', 'carol'];

export async function runDemo(config: Config, opts: { dir?: string }): Promise<void> {
  const root = opts.dir ?? join(config.dataDir, 'demo');
  const app = await openApp(config);
  const say = (text: string) => console.log(text);
  try {
    say(`hostvault demo with ${app.restic.version.text}; data in ${config.dataDir}`);
    const target = targetSchema.parse({ kind: 'local', path: config.localRepositoryDir });
    for (const customer of CUSTOMERS) {
      const web = join(root, customer, 'public_html');
      await buildWebRoot(web, customer);
      const first = await app.repositories.withRepository(target, customer, (repo) =>
        app.restic.backup(repo.location, {
          paths: [web],
          tags: [`customer=${customer}`, 'scope=web'],
        }),
      );
      await writeFile(
        join(web, 'index.php'),
        `<?php echo "${customer} changed at ${new Date().toISOString()}";\n`,
      );
      const second = await app.repositories.withRepository(target, customer, (repo) =>
        app.restic.backup(repo.location, {
          paths: [web],
          tags: [`customer=${customer}`, 'scope=web'],
          parent: first.summary.snapshotId,
        }),
      );
      say(
        `${customer}: first backup ${first.summary.totalFilesProcessed} files, ${mb(first.summary.dataAdded)} stored; ` +
          `re-run after one change: ${second.summary.filesChanged} changed, ${mb(second.summary.dataAdded)} added ` +
          `(snapshot ${second.summary.snapshotId})`,
      );

      const lost = join(web, 'wp-content/uploads/logo.png');
      const before = hash(await readFile(lost));
      await rm(lost);
      const staging = join(root, '.restore', customer);
      await rm(staging, { recursive: true, force: true });
      await app.repositories.withRepository(target, customer, (repo) =>
        app.restic.restore(repo.location, second.summary.snapshotId, {
          target: staging,
          include: [lost],
        }),
      );
      await writeFile(lost, await readFile(join(staging, lost)));
      await rm(staging, { recursive: true, force: true });
      say(
        `${customer}: deleted ${lost.slice(root.length)} and restored it: ${hash(await readFile(lost)) === before ? 'identical' : 'DIFFERENT'}`,
      );
    }
    say(
      `Repositories: ${config.localRepositoryDir}/<customer>; export a key with: hostvault key export alice`,
    );
  } finally {
    await app.close();
  }
}

async function buildWebRoot(web: string, customer: string): Promise<void> {
  await mkdir(join(web, 'wp-content/uploads'), { recursive: true });
  await mkdir(join(web, 'wp-includes'), { recursive: true });
  await writeFile(join(web, 'index.php'), `<?php echo "${customer}";\n`);
  for (let i = 0; i < 200; i++) {
    await writeFile(
      join(web, 'wp-includes', `module-${i}.php`),
      `<?php // ${customer} module ${i}\n${'$x = 1;\n'.repeat(i % 50)}`,
    );
  }
  await writeFile(join(web, 'wp-content/uploads/logo.png'), randomBytes(256 * 1024));
  await writeFile(join(web, 'wp-content/uploads/video.mp4'), randomBytes(4 * 1024 * 1024));
}

function hash(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}
