/**
 * A first look at hostvault on real data: a hosting layout for three customers is built (web
 * roots, databases, mail, certificates, configuration), imported into the inventory, and each
 * customer's web root is backed up into its own encrypted repository, backed up again
 * incrementally after a change, and a deleted media file is restored.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openApp } from '../app.js';
import type { Config } from '../config.js';
import { customersTable, importSummary, packagesTable } from '../cli/inventory.js';
import { InventoryService } from '../inventory/inventory-service.js';
import { tagsFor } from '../scope/scope.js';
import type { Store } from '../store/index.js';
import { openStore } from '../store/index.js';
import { targetSchema } from '../target/schema.js';
import { buildDemoLayout, type DemoLayout } from './layout.js';

const say = (text: string) => console.log(text);

/** Builds the layout under `dir` and imports it into the store; prints what it did. */
export async function buildAndImport(store: Store, root: string): Promise<DemoLayout> {
  say(`Building the demo hosting layout in ${root} …`);
  const layout = await buildDemoLayout(root);
  for (const c of layout.customers) {
    say(
      `  ${c.id.padEnd(6)} ${c.webFiles} web files (${mb(c.webBytes)}), ${c.mailMessages} mails, ` +
        `${c.databases.length} database(s)${c.written > 0 ? '' : ', unchanged'}`,
    );
  }
  for (const note of layout.notes) say(`  note: ${note}`);
  say(`  built in ${layout.seconds.toFixed(1)} s`);
  const result = await new InventoryService({ store }).importInventory(layout.inventory);
  say(`Imported into the inventory:\n${importSummary(result)}`);
  return layout;
}

/** `hostvault demo layout`: the layout and the inventory only, no backups. */
export async function runLayoutDemo(config: Config, opts: { dir?: string }): Promise<void> {
  const root = opts.dir ?? join(config.dataDir, 'demo');
  const store = await openStore({ file: join(config.dataDir, 'store.db') });
  try {
    const layout = await buildAndImport(store, root);
    const inventory = new InventoryService({ store });
    const ids = new Set(layout.inventory.customers.map((c) => c.id));
    say(packagesTable(await inventory.listPackages()));
    say(customersTable((await inventory.listCustomers()).filter((c) => ids.has(c.id))));
  } finally {
    await store.close();
  }
}

export async function runDemo(config: Config, opts: { dir?: string }): Promise<void> {
  const root = opts.dir ?? join(config.dataDir, 'demo');
  const app = await openApp(config);
  try {
    say(`hostvault demo with ${app.restic.version.text}; data in ${config.dataDir}`);
    const layout = await buildAndImport(app.store, root);
    const inventory = new InventoryService({ store: app.store });
    const target = targetSchema.parse({ kind: 'local', path: config.localRepositoryDir });
    for (const stats of layout.customers) {
      const customer = await inventory.getCustomer(stats.id);
      if (customer === undefined) throw new Error(`customer ${stats.id} was not imported`);
      const web = customer.webRoot;
      const tags = tagsFor({ customer: customer.id, scope: 'web' });
      const first = await app.repositories.withRepository(target, customer.id, (repo) =>
        app.restic.backup(repo.location, { paths: [web], tags }),
      );
      await writeFile(
        join(web, 'index.php'),
        `<?php echo "${customer.id} changed at ${new Date().toISOString()}";\n`,
      );
      const second = await app.repositories.withRepository(target, customer.id, (repo) =>
        app.restic.backup(repo.location, { paths: [web], tags, parent: first.summary.snapshotId }),
      );
      say(
        `${customer.id}: first backup ${first.summary.totalFilesProcessed} files, ${mb(first.summary.dataAdded)} stored; ` +
          `re-run after one change: ${second.summary.filesChanged} changed, ${mb(second.summary.dataAdded)} added ` +
          `(snapshot ${second.summary.snapshotId})`,
      );

      const lost = stats.media[0];
      if (lost === undefined) continue;
      const before = hash(await readFile(lost));
      await rm(lost);
      const staging = join(root, '.restore', customer.id);
      await rm(staging, { recursive: true, force: true });
      await app.repositories.withRepository(target, customer.id, (repo) =>
        app.restic.restore(repo.location, second.summary.snapshotId, {
          target: staging,
          include: [lost],
        }),
      );
      // Same file system: the restored file moves in with restic's owner, mode and mtime.
      await rename(join(staging, lost), lost);
      await rm(staging, { recursive: true, force: true });
      say(
        `${customer.id}: deleted ${lost.slice(web.length + 1)} and restored it: ${hash(await readFile(lost)) === before ? 'identical' : 'DIFFERENT'}`,
      );
    }
    await rm(join(root, '.restore'), { recursive: true, force: true });
    say(
      `Repositories: ${config.localRepositoryDir}/<customer>; export a key with: hostvault key export alice\n` +
        'Inventory: hostvault customers list, hostvault packages list',
    );
  } finally {
    await app.close();
  }
}

function hash(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}
