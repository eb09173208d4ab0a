/**
 * The hosting inventory in the store: packages and customers, edited one by one (CLI, admin API)
 * or replaced from a document that a hosting panel exports (`importInventory`).
 *
 * Every write is checked first: the record's shape (zod), that its paths exist as real
 * directories or files, that its package exists, and that no two customers share a path, a
 * database, a database user or a mailbox. A refused write changes nothing and throws an
 * InventoryValidationError that lists every problem with its field path.
 */
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import {
  decodeStored,
  type CustomerRow,
  type Database,
  type PackageRow,
  type Store,
} from '../store/index.js';
import { LOCAL_SERVER } from '../fleet/subjects.js';
import {
  InventoryValidationError,
  PackageInUseError,
  fromZod,
  plainErrors,
  type InventoryIssue,
} from './issues.js';
import {
  checkCustomerPaths,
  checkPaths,
  customerPaths,
  findOverlaps,
  wellFormedPaths,
  type CustomerPath,
  type OwnedPath,
} from './paths.js';
import {
  customerSchema,
  DEFAULT_KEEP_LIMIT,
  FREQUENCIES,
  mailboxSchema,
  packageSchema,
  type Customer,
  type Inventory,
  type Mailbox,
  type Package,
} from './schema.js';

/**
 * What an imported document may hold. Stricter than `inventorySchema`: a field the schema does
 * not know is an error, since a misspelt `sslfiles` would otherwise silently back up nothing.
 */
export const importSchema = z.strictObject({
  packages: z.array(packageSchema.strict()).default([]),
  customers: z
    .array(
      customerSchema.extend({ mailboxes: z.array(mailboxSchema.strict()).default([]) }).strict(),
    )
    .default([]),
});

export type CustomerInput = z.input<typeof customerSchema>;
export type PackageInput = z.input<typeof packageSchema>;

export interface ChangeSummary {
  created: string[];
  updated: string[];
  unchanged: string[];
  /** Only with `prune`. */
  deleted: string[];
}

export interface ImportResult {
  packages: ChangeSummary;
  customers: ChangeSummary;
}

export interface ImportOptions {
  /** Delete the customers and packages that the document does not list. */
  prune?: boolean;
}

type Db = Kysely<Database> | Transaction<Database>;

export class InventoryService {
  readonly #db: Kysely<Database>;
  readonly #now: () => Date;
  readonly #pathsOnThisMachine: boolean;

  /**
   * `pathsOnThisMachine: false` (a fleet's controller): customers' paths are on their hosting
   * servers, not on the controller's disk, so they are not checked here — checked here, every
   * customer of a fleet was refused for "does not exist" (found by the netns fleet drills). The
   * agent's restore still follows no symbolic link on its own server (src/restore/safe-fs.ts).
   */
  constructor(opts: { store: Store; now?: () => Date; pathsOnThisMachine?: boolean }) {
    this.#db = opts.store.db;
    this.#now = opts.now ?? (() => new Date());
    this.#pathsOnThisMachine = opts.pathsOnThisMachine ?? true;
  }

  #checkPaths(customer: Customer, prefix?: string): Promise<InventoryIssue[]> {
    return this.#pathsOnThisMachine ? checkCustomerPaths(customer, prefix) : Promise.resolve([]);
  }

  // ── packages ──────────────────────────────────────────────────────────────────────────────

  async listPackages(): Promise<Package[]> {
    const rows = await this.#db.selectFrom('packages').selectAll().orderBy('id').execute();
    return rows.map(toPackage);
  }

  async getPackage(id: string): Promise<Package | undefined> {
    const row = await this.#db
      .selectFrom('packages')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toPackage(row);
  }

  /** Creates or replaces a package. */
  async upsertPackage(input: PackageInput): Promise<Package> {
    const parsed = packageSchema.safeParse(input, { error: plainErrors });
    if (!parsed.success) throw new InventoryValidationError(fromZod(parsed.error), 'the package');
    const pkg = parsed.data;
    await this.#db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('packages')
        .selectAll()
        .where('id', '=', pkg.id)
        .executeTakeFirst();
      await writePackage(trx, pkg, existing, this.#now().toISOString());
    });
    return pkg;
  }

  /** Deletes a package that no customer uses; false when there was none. */
  async deletePackage(id: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const users = await trx
        .selectFrom('customers')
        .select('id')
        .where('package_id', '=', id)
        .orderBy('id')
        .execute();
      if (users.length > 0)
        throw new PackageInUseError(
          id,
          users.map((u) => u.id),
        );
      const result = await trx.deleteFrom('packages').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  // ── customers ─────────────────────────────────────────────────────────────────────────────

  async listCustomers(): Promise<Customer[]> {
    const rows = await this.#db.selectFrom('customers').selectAll().orderBy('id').execute();
    return rows.map(toCustomer);
  }

  async getCustomer(id: string): Promise<Customer | undefined> {
    const row = await this.#db
      .selectFrom('customers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toCustomer(row);
  }

  /**
   * Creates or replaces a customer, after checking its shape, its paths on disk, its package,
   * and that it shares nothing with another customer.
   */
  async upsertCustomer(input: CustomerInput): Promise<Customer> {
    const parsed = customerSchema.safeParse(input, { error: plainErrors });
    if (!parsed.success) throw new InventoryValidationError(fromZod(parsed.error), 'the customer');
    const customer = parsed.data;
    const pathIssues = await this.#checkPaths(customer);
    await this.#db.transaction().execute(async (trx) => {
      const [packages, stored] = await Promise.all([loadPackages(trx), loadCustomers(trx)]);
      const others = [...stored.values()].filter((c) => c.id !== customer.id).map(toCustomer);
      const issues = [
        ...pathIssues,
        ...packageIssues([{ customer, prefix: '' }], new Set(packages.keys())),
        ...clashIssues([{ customer, prefix: '' }], others),
      ];
      if (issues.length > 0) throw new InventoryValidationError(sortIssues(issues), 'the customer');
      await writeCustomer(trx, customer, stored.get(customer.id), this.#now().toISOString());
    });
    return customer;
  }

  /**
   * Puts a customer on another hosting server (src/fleet/customer-move.ts decides whether it
   * may). Only the record changes: the customer's files on the new server are the hosting
   * panel's to copy. False when there is no such customer.
   */
  async setServer(id: string, server: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('customers')
      .set({ server_id: server, updated_at: this.#now().toISOString() })
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Deletes a customer's record (not their files or repositories); false when there was none. */
  async deleteCustomer(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('customers').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  // ── import ────────────────────────────────────────────────────────────────────────────────

  /**
   * Validates a whole inventory document, then applies it in one transaction: every package and
   * customer it lists is created or updated, and with `prune` every other one is deleted. Any
   * problem anywhere refuses the whole document with every problem listed, and nothing changes.
   */
  async importInventory(doc: unknown, opts: ImportOptions = {}): Promise<ImportResult> {
    const prune = opts.prune ?? false;
    const parsed = importSchema.safeParse(doc, { error: plainErrors });
    const issues: InventoryIssue[] = parsed.success ? [] : fromZod(parsed.error);

    // Even when some records are malformed, check the well-formed ones too, so that one run
    // reports every problem.
    const { packages, customers, packageIdsInDoc, partial } = parsed.success
      ? wellFormed(parsed.data)
      : wellFormedParts(doc);
    issues.push(
      ...duplicateIds(
        'packages',
        packages.map((p) => p.pkg.id),
      ),
    );
    issues.push(
      ...duplicateIds(
        'customers',
        customers.map((c) => c.customer.id),
      ),
    );
    for (const paths of await Promise.all(
      customers.map((c) => this.#checkPaths(c.customer, c.prefix)),
    )) {
      issues.push(...paths);
    }
    if (this.#pathsOnThisMachine)
      for (const p of partial) issues.push(...(await checkPaths(p.paths, p.prefix)));

    return this.#db.transaction().execute(async (trx) => {
      const [storedPackages, storedCustomers] = await Promise.all([
        loadPackages(trx),
        loadCustomers(trx),
      ]);
      const docCustomerIds = new Set(customers.map((c) => c.customer.id));
      // Without prune, the stored records that the document does not mention stay, so the
      // document's customers may use their packages and must not clash with them.
      const knownPackages = new Set(packageIdsInDoc);
      const kept: Customer[] = [];
      if (!prune) {
        for (const id of storedPackages.keys()) knownPackages.add(id);
        for (const [id, row] of storedCustomers)
          if (!docCustomerIds.has(id)) kept.push(toCustomer(row));
      }
      issues.push(...packageIssues(customers, knownPackages));
      for (const p of partial) {
        if (p.packageId !== undefined && !knownPackages.has(p.packageId)) {
          issues.push(packageIssue(p.packageId, p.prefix, knownPackages));
        }
      }
      // A customer listed twice is reported as such; its second entry is not compared further.
      const firsts = customers.filter(
        (c, i) => customers.findIndex((d) => d.customer.id === c.customer.id) === i,
      );
      issues.push(...clashIssues(firsts, kept));
      if (issues.length > 0) throw new InventoryValidationError(sortIssues(issues));

      const now = this.#now().toISOString();
      const result: ImportResult = { packages: emptySummary(), customers: emptySummary() };
      for (const { pkg } of packages) {
        const change = await writePackage(trx, pkg, storedPackages.get(pkg.id), now);
        result.packages[change].push(pkg.id);
      }
      for (const { customer } of customers) {
        const change = await writeCustomer(trx, customer, storedCustomers.get(customer.id), now);
        result.customers[change].push(customer.id);
      }
      if (prune) {
        // Sorted: the order rows come back in is the database's choice (SQLite's and
        // PostgreSQL's differ).
        const goneCustomers = [...storedCustomers.keys()]
          .filter((id) => !docCustomerIds.has(id))
          .sort();
        const gonePackages = [...storedPackages.keys()]
          .filter((id) => !packageIdsInDoc.has(id))
          .sort();
        if (goneCustomers.length > 0) {
          await trx.deleteFrom('customers').where('id', 'in', goneCustomers).execute();
        }
        if (gonePackages.length > 0) {
          await trx.deleteFrom('packages').where('id', 'in', gonePackages).execute();
        }
        result.customers.deleted = goneCustomers;
        result.packages.deleted = gonePackages;
      }
      return result;
    });
  }
}

// ── checks ──────────────────────────────────────────────────────────────────────────────────

interface DocPackage {
  pkg: Package;
  prefix: string;
}

interface DocCustomer {
  customer: Customer;
  /** The customer's field path in the document (`customers[2]`), or '' for a lone record. */
  prefix: string;
}

interface WellFormed {
  packages: DocPackage[];
  customers: DocCustomer[];
  /** Customers that failed validation: what can still be checked of them. */
  partial: { prefix: string; packageId?: string; paths: CustomerPath[] }[];
  /** Every package id the document mentions, even on a malformed package. */
  packageIdsInDoc: Set<string>;
}

function wellFormed(inventory: Inventory): WellFormed {
  return {
    packages: inventory.packages.map((pkg, i) => ({ pkg, prefix: `packages[${i}]` })),
    customers: inventory.customers.map((customer, i) => ({ customer, prefix: `customers[${i}]` })),
    packageIdsInDoc: new Set(inventory.packages.map((p) => p.id)),
    partial: [],
  };
}

/** The records of a document that failed validation that are fine on their own. */
function wellFormedParts(doc: unknown): WellFormed {
  const out: WellFormed = { packages: [], customers: [], packageIdsInDoc: new Set(), partial: [] };
  if (typeof doc !== 'object' || doc === null) return out;
  const { packages, customers } = doc as { packages?: unknown; customers?: unknown };
  if (Array.isArray(packages)) {
    packages.forEach((raw: unknown, i) => {
      const id = (raw as { id?: unknown } | null)?.id;
      if (typeof id === 'string') out.packageIdsInDoc.add(id);
      const r = packageSchema.safeParse(raw);
      if (r.success) out.packages.push({ pkg: r.data, prefix: `packages[${i}]` });
    });
  }
  if (Array.isArray(customers)) {
    customers.forEach((raw: unknown, i) => {
      const prefix = `customers[${i}]`;
      const r = customerSchema.safeParse(raw);
      if (r.success) out.customers.push({ customer: r.data, prefix });
      else {
        const packageId = (raw as { packageId?: unknown } | null)?.packageId;
        out.partial.push({
          prefix,
          paths: wellFormedPaths(raw),
          ...(typeof packageId === 'string' && packageId !== '' ? { packageId } : {}),
        });
      }
    });
  }
  return out;
}

function duplicateIds(section: string, ids: readonly string[]): InventoryIssue[] {
  const first = new Map<string, number>();
  const issues: InventoryIssue[] = [];
  ids.forEach((id, i) => {
    const earlier = first.get(id);
    if (earlier === undefined) first.set(id, i);
    else {
      issues.push({
        path: `${section}[${i}].id`,
        message: `"${id}" is listed twice (also ${section}[${earlier}]).`,
      });
    }
  });
  return issues;
}

function packageIssues(customers: readonly DocCustomer[], known: Set<string>): InventoryIssue[] {
  return customers
    .filter(({ customer }) => !known.has(customer.packageId))
    .map(({ customer, prefix }) => packageIssue(customer.packageId, prefix, known));
}

function packageIssue(packageId: string, prefix: string, known: Set<string>): InventoryIssue {
  const list = [...known].sort().join(', ');
  return {
    path: at(prefix, 'packageId'),
    message: `There is no package "${packageId}" (${list === '' ? 'there are no packages yet' : `known: ${list}`}).`,
  };
}

/**
 * What two customers must never share: a path (nested or equal), a database, a database user or
 * a mailbox address. Issues are reported on the checked customers, never on `others`.
 */
function clashIssues(
  checked: readonly DocCustomer[],
  others: readonly Customer[],
): InventoryIssue[] {
  const paths: OwnedPath[] = [];
  const claims: Claim[] = [];
  const add = (customer: Customer, prefix: string, order: number) => {
    const report = order >= 0;
    for (const p of customerPaths(customer)) {
      paths.push({ ...p, owner: customer.id, prefix, order });
    }
    customer.databases.forEach((name, i) =>
      claims.push({
        kind: 'database',
        value: name,
        owner: customer.id,
        path: at(prefix, `databases[${i}]`),
        report,
      }),
    );
    if (customer.databaseUser !== undefined) {
      claims.push({
        kind: 'database user',
        value: customer.databaseUser,
        owner: customer.id,
        path: at(prefix, 'databaseUser'),
        report,
      });
    }
    customer.mailboxes.forEach((m, i) =>
      claims.push({
        kind: 'mailbox',
        value: m.address.toLowerCase(),
        owner: customer.id,
        path: at(prefix, `mailboxes[${i}].address`),
        report,
      }),
    );
  };
  for (const c of others) add(c, '', -1);
  checked.forEach((c, i) => add(c.customer, c.prefix, i));
  return [...findOverlaps(paths), ...claimIssues(claims)];
}

interface Claim {
  kind: 'database' | 'database user' | 'mailbox';
  value: string;
  owner: string;
  path: string;
  report: boolean;
}

function claimIssues(claims: readonly Claim[]): InventoryIssue[] {
  const firstOwner = new Map<string, string>();
  const issues: InventoryIssue[] = [];
  // `others` come first, so a clash with a stored customer is reported on the new record.
  for (const claim of claims) {
    const key = `${claim.kind}\0${claim.value}`;
    const owner = firstOwner.get(key);
    if (owner === undefined) firstOwner.set(key, claim.owner);
    else if (owner !== claim.owner && claim.report) {
      issues.push({
        path: claim.path,
        message: `The ${claim.kind} "${claim.value}" already belongs to customer ${owner}.`,
      });
    }
  }
  return issues;
}

function at(prefix: string, field: string): string {
  return prefix === '' ? field : `${prefix}.${field}`;
}

const FIELD_ORDER = [
  'id',
  'name',
  'frequencies',
  'maxRetention',
  'maxSchedules',
  'storageQuotaBytes',
  'keepLimit',
  'linuxUser',
  'uid',
  'gid',
  'packageId',
  'webRoot',
  'databases',
  'databaseUser',
  'mailboxes',
  'sslFiles',
  'configFiles',
  'contactEmail',
];

/**
 * Document order: packages, then customers, by index, then by field as the schema lists them
 * (unknown fields last), then by list index.
 */
function sortIssues(issues: readonly InventoryIssue[]): InventoryIssue[] {
  const rank = (path: string): number[] => {
    const m = /^(?:(packages|customers)\[(\d+)\]\.?)?(\w*)(?:\[(\d+)\])?/.exec(path);
    const section = m?.[1] === undefined ? -1 : m[1] === 'packages' ? 0 : 1;
    const field = FIELD_ORDER.indexOf(m?.[3] ?? '');
    return [
      section,
      Number(m?.[2] ?? -1),
      field === -1 ? FIELD_ORDER.length : field,
      Number(m?.[4] ?? -1),
    ];
  };
  const ranked = issues.map((issue, i) => ({ issue, r: [...rank(issue.path), i] }));
  ranked.sort((a, b) => {
    for (let k = 0; k < a.r.length; k++) {
      const d = a.r[k]! - b.r[k]!;
      if (d !== 0) return d;
    }
    return 0;
  });
  return ranked.map((x) => x.issue);
}

// ── rows ────────────────────────────────────────────────────────────────────────────────────

function emptySummary(): ChangeSummary {
  return { created: [], updated: [], unchanged: [], deleted: [] };
}

async function loadPackages(db: Db): Promise<Map<string, PackageRow>> {
  const rows = await db.selectFrom('packages').selectAll().execute();
  return new Map(rows.map((r) => [r.id, r]));
}

async function loadCustomers(db: Db): Promise<Map<string, CustomerRow>> {
  const rows = await db.selectFrom('customers').selectAll().execute();
  return new Map(rows.map((r) => [r.id, r]));
}

type Change = 'created' | 'updated' | 'unchanged';

async function writePackage(
  db: Db,
  pkg: Package,
  existing: PackageRow | undefined,
  now: string,
): Promise<Change> {
  const values = {
    name: pkg.name,
    frequencies: JSON.stringify(pkg.frequencies),
    max_retention: pkg.maxRetention,
    max_schedules: pkg.maxSchedules,
    storage_quota_bytes: pkg.storageQuotaBytes ?? null,
    keep_limit: pkg.keepLimit ?? DEFAULT_KEEP_LIMIT,
  };
  if (existing === undefined) {
    await db
      .insertInto('packages')
      .values({ id: pkg.id, ...values, created_at: now, updated_at: now })
      .execute();
    return 'created';
  }
  if (same(toPackage(existing), pkg, canonicalPackage)) return 'unchanged';
  await db
    .updateTable('packages')
    .set({ ...values, updated_at: now })
    .where('id', '=', pkg.id)
    .execute();
  return 'updated';
}

async function writeCustomer(
  db: Db,
  customer: Customer,
  existing: CustomerRow | undefined,
  now: string,
): Promise<Change> {
  const c = canonicalCustomer(customer);
  const values = {
    name: c.name,
    linux_user: c.linuxUser,
    uid: c.uid,
    gid: c.gid,
    package_id: c.packageId,
    web_root: c.webRoot,
    database_user: c.databaseUser ?? null,
    databases: JSON.stringify(c.databases),
    mailboxes: JSON.stringify(c.mailboxes),
    ssl_files: JSON.stringify(c.sslFiles),
    config_files: JSON.stringify(c.configFiles),
    contact_email: c.contactEmail ?? null,
    server_id: c.server ?? LOCAL_SERVER,
  };
  if (existing === undefined) {
    await db
      .insertInto('customers')
      .values({ id: c.id, ...values, created_at: now, updated_at: now })
      .execute();
    return 'created';
  }
  if (same(toCustomer(existing), customer, canonicalCustomer)) return 'unchanged';
  await db
    .updateTable('customers')
    .set({ ...values, updated_at: now })
    .where('id', '=', c.id)
    .execute();
  return 'updated';
}

function same<T>(a: T, b: T, canonical: (x: T) => T): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/*
 * The stored JSON columns of packages and customers, decoded by shape only: the rules of what a
 * field may hold were checked when it was written, and a rule made stricter later must not make
 * existing records unreadable. A damaged value is a StoredValueError naming the record.
 */
const storedFrequencies = z.array(z.enum(FREQUENCIES));
const storedList = z.array(z.string());
const storedMailboxes = z.array(
  z.object({ address: z.string(), maildir: z.string(), sieveDir: z.string().optional() }),
);

export function packageFrequencies(
  row: Pick<PackageRow, 'id' | 'frequencies'>,
): Package['frequencies'] {
  return decodeStored(storedFrequencies, row.frequencies, {
    row: `package ${row.id}`,
    column: 'frequencies',
  });
}

export function customerList(
  row: Pick<CustomerRow, 'id' | 'databases' | 'ssl_files' | 'config_files'>,
  column: 'databases' | 'ssl_files' | 'config_files',
): string[] {
  return decodeStored(storedList, row[column], { row: `customer ${row.id}`, column });
}

export function customerMailboxes(row: Pick<CustomerRow, 'id' | 'mailboxes'>): Mailbox[] {
  return decodeStored(storedMailboxes, row.mailboxes, {
    row: `customer ${row.id}`,
    column: 'mailboxes',
  });
}

function toPackage(row: PackageRow): Package {
  return canonicalPackage({
    id: row.id,
    name: row.name,
    frequencies: packageFrequencies(row),
    maxRetention: Number(row.max_retention),
    maxSchedules: Number(row.max_schedules),
    storageQuotaBytes:
      row.storage_quota_bytes === null ? undefined : Number(row.storage_quota_bytes),
    keepLimit: Number(row.keep_limit),
  });
}

function toCustomer(row: CustomerRow): Customer {
  return canonicalCustomer({
    id: row.id,
    name: row.name,
    linuxUser: row.linux_user,
    uid: Number(row.uid),
    gid: Number(row.gid),
    packageId: row.package_id,
    webRoot: row.web_root,
    databases: customerList(row, 'databases'),
    databaseUser: row.database_user ?? undefined,
    mailboxes: customerMailboxes(row),
    sslFiles: customerList(row, 'ssl_files'),
    configFiles: customerList(row, 'config_files'),
    contactEmail: row.contact_email ?? undefined,
    server: row.server_id,
  });
}

/** Fixed key order, no undefined optionals: so records compare as JSON and read back equal. */
function canonicalPackage(p: Package): Package {
  return {
    id: p.id,
    name: p.name,
    frequencies: [...p.frequencies],
    maxRetention: p.maxRetention,
    maxSchedules: p.maxSchedules,
    ...(p.storageQuotaBytes === undefined ? {} : { storageQuotaBytes: p.storageQuotaBytes }),
    // The default is left out, so packages written before the field read back as they were.
    ...(p.keepLimit === undefined || p.keepLimit === DEFAULT_KEEP_LIMIT
      ? {}
      : { keepLimit: p.keepLimit }),
  };
}

function canonicalCustomer(c: Customer): Customer {
  return {
    id: c.id,
    // The implicit server is the absence of one: a customer of `hostvault serve` reads as before.
    ...(c.server === undefined || c.server === LOCAL_SERVER ? {} : { server: c.server }),
    name: c.name,
    linuxUser: c.linuxUser,
    uid: c.uid,
    gid: c.gid,
    packageId: c.packageId,
    webRoot: c.webRoot,
    databases: [...c.databases],
    ...(c.databaseUser === undefined ? {} : { databaseUser: c.databaseUser }),
    mailboxes: c.mailboxes.map((m) => ({
      address: m.address,
      maildir: m.maildir,
      ...(m.sieveDir === undefined ? {} : { sieveDir: m.sieveDir }),
    })),
    sslFiles: [...c.sslFiles],
    configFiles: [...c.configFiles],
    ...(c.contactEmail === undefined ? {} : { contactEmail: c.contactEmail }),
  };
}
