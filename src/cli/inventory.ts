/**
 * The inventory's CLI commands: `customers list`, `customers import <file> [--prune]`,
 * `packages list`. They need only the store, not restic or the master key.
 */
import { join } from 'node:path';
import type { Config } from '../config.js';
import { openStore } from '../store/index.js';
import { InventoryFileError, parseInventoryFile } from '../inventory/file.js';
import {
  InventoryService,
  type ChangeSummary,
  type ImportResult,
} from '../inventory/inventory-service.js';
import { InventoryValidationError, PackageInUseError } from '../inventory/issues.js';
import type { Customer, Package } from '../inventory/schema.js';

/** Errors that are the user's to fix: the CLI prints them and exits 2. */
export function isInventoryUserError(error: unknown): error is Error {
  return (
    error instanceof InventoryValidationError ||
    error instanceof InventoryFileError ||
    error instanceof PackageInUseError
  );
}

/**
 * Runs `customers …` or `packages …`; returns the exit code, or undefined when the arguments are
 * not one of these commands (the caller prints its usage).
 */
export async function runInventoryCommand(
  config: Config,
  command: string,
  args: string[],
  out: (text: string) => void = (text) => process.stdout.write(text),
): Promise<number | undefined> {
  const [sub, ...rest] = args;
  const action =
    command === 'customers' && sub === 'list' && rest.length === 0
      ? 'customers list'
      : command === 'customers' && sub === 'import' && rest[0] !== undefined
        ? 'customers import'
        : command === 'packages' && sub === 'list' && rest.length === 0
          ? 'packages list'
          : undefined;
  if (action === undefined) return undefined;

  const fail = (message: string) => {
    console.error(`hostvault: ${message}`);
    return 2;
  };
  // Read the file before opening the store: a wrong path must not create a store.
  let doc: unknown;
  let file = '';
  if (action === 'customers import') {
    file = rest.find((a) => !a.startsWith('--'))!;
    const unknown = rest.filter((a) => a.startsWith('--') && a !== '--prune');
    if (unknown.length > 0) return fail(`unknown option ${unknown[0]}`);
    try {
      doc = await parseInventoryFile(file);
    } catch (error) {
      if (error instanceof InventoryFileError) return fail(error.message);
      throw error;
    }
  }

  const store = await openStore({ file: join(config.dataDir, 'store.db') });
  try {
    const inventory = new InventoryService({ store });
    switch (action) {
      case 'customers list':
        out(customersTable(await inventory.listCustomers()));
        return 0;
      case 'packages list':
        out(packagesTable(await inventory.listPackages()));
        return 0;
      case 'customers import':
        try {
          const result = await inventory.importInventory(doc, { prune: rest.includes('--prune') });
          out(`imported ${file}\n${importSummary(result)}`);
          return 0;
        } catch (error) {
          if (!isInventoryUserError(error)) throw error;
          return fail(`${file}: ${error.message}\nnothing was changed`);
        }
    }
  } finally {
    await store.close();
  }
}

export function importSummary(result: ImportResult): string {
  const line = (what: string, s: ChangeSummary) => {
    const part = (label: string, ids: string[]) =>
      `${ids.length} ${label}${ids.length > 0 && ids.length <= 8 ? ` (${ids.join(', ')})` : ''}`;
    return `  ${what.padEnd(10)} ${[
      part('created', s.created),
      part('updated', s.updated),
      `${s.unchanged.length} unchanged`,
      part('deleted', s.deleted),
    ].join(', ')}\n`;
  };
  return line('packages:', result.packages) + line('customers:', result.customers);
}

export function customersTable(customers: readonly Customer[]): string {
  if (customers.length === 0)
    return 'no customers; import some with: hostvault customers import <file>\n';
  // A fleet's customers live on several servers; `hostvault serve` has one, and no column for it.
  const fleet = customers.some((c) => c.server !== undefined);
  return formatTable(
    [
      'ID',
      ...(fleet ? ['SERVER'] : []),
      'NAME',
      'LINUX USER',
      'PACKAGE',
      'WEB ROOT',
      'DATABASES',
      'MAILBOXES',
      'SSL',
      'CONFIG',
    ],
    customers.map((c) => [
      c.id,
      ...(fleet ? [c.server ?? 'local'] : []),
      clip(c.name, 32),
      `${c.linuxUser} (${c.uid}:${c.gid})`,
      c.packageId,
      c.webRoot,
      c.databases.length === 0 ? '-' : clip(c.databases.join(', '), 40),
      String(c.mailboxes.length),
      String(c.sslFiles.length),
      String(c.configFiles.length),
    ]),
  );
}

export function packagesTable(packages: readonly Package[]): string {
  if (packages.length === 0)
    return 'no packages; import some with: hostvault customers import <file>\n';
  return formatTable(
    ['ID', 'NAME', 'FREQUENCIES', 'KEEP', 'SCHEDULES', 'QUOTA'],
    packages.map((p) => [
      p.id,
      clip(p.name, 32),
      p.frequencies.join(', '),
      p.maxRetention === 0 ? 'unlimited' : String(p.maxRetention),
      p.maxSchedules === 0 ? 'unlimited' : String(p.maxSchedules),
      p.storageQuotaBytes === undefined ? 'none' : bytes(p.storageQuotaBytes),
    ]),
  );
}

/** Columns padded to their widest cell, two spaces apart. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}
