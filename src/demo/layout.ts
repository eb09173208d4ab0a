/**
 * A realistic hosting layout for three customers under a directory of the user's choice, laid
 * out like a server's file system:
 *
 *   <root>/var/www/<id>/public_html              WordPress-like web root, owned by the customer
 *   <root>/var/vmail/<domain>/<box>/Maildir      Maildir++ mailbox
 *   <root>/var/vmail/<domain>/<box>/sieve        Sieve scripts
 *   <root>/etc/ssl/certs/<domain>.pem            self-signed certificate (root, 0644)
 *   <root>/etc/ssl/private/<domain>.key          its key (root, 0600)
 *   <root>/etc/nginx/sites-available/<domain>.conf
 *   <root>/etc/php/8.2/fpm/pool.d/<id>.conf
 *
 * plus, when MariaDB answers, each customer's databases and a database user that owns them.
 * Running it again gives the same layout: files are synced to the plan (nothing rewritten if
 * nothing changed), certificates kept, databases and their users recreated.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, statSync } from 'node:fs';
import {
  mkdir,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  inventorySchema,
  type Customer,
  type Inventory,
  type Package,
} from '../inventory/schema.js';
import { planMaildir, planSieve } from './mail.js';
import { customerDatabasesSql, runSql, type MariaDbConnection } from './mariadb.js';
import { ensureCertificate, ensureLinuxUser, nginxVhost, phpFpmPool } from './system.js';
import { ensureDir, syncFile, syncTree, type Owner } from './tree.js';
import { planWebRoot, type MediaFile, type PluginName, type ThemeName } from './web.js';

export type { MariaDbConnection } from './mariadb.js';

export interface DemoLayoutOptions {
  /**
   * Where to create the customers' databases: by default root on the local socket; false to
   * skip databases. An unreachable server is noted and skipped, not an error.
   */
  mariadb?: MariaDbConnection | false;
  /**
   * Prefix of MariaDB database and user names (default `hv_`: `hv_alice_wp`, `hv_alice`). Give a
   * unique one to tests that run in parallel.
   */
  databasePrefix?: string;
}

export interface DemoCustomerStats {
  id: string;
  linuxUser: string;
  uid: number;
  webFiles: number;
  webBytes: number;
  mailMessages: number;
  databases: string[];
  /** The media files of several MB in the web root (absolute paths). */
  media: string[];
  /** Files and directories created or rewritten by this run. */
  written: number;
}

export interface DemoLayout {
  inventory: Inventory;
  notes: string[];
  customers: DemoCustomerStats[];
  /** How long the build took. */
  seconds: number;
}

export const DEMO_PACKAGES: Package[] = [
  {
    id: 'basic',
    name: 'Basic',
    frequencies: ['daily', 'weekly'],
    maxRetention: 7,
    maxSchedules: 2,
    storageQuotaBytes: 5 * 1024 ** 3,
  },
  {
    id: 'business',
    name: 'Business',
    frequencies: ['hourly', 'daily', 'weekly', 'monthly'],
    maxRetention: 30,
    maxSchedules: 10,
  },
];

interface DemoCustomer {
  id: string;
  name: string;
  domain: string;
  packageId: string;
  /** Local part → INBOX messages. */
  mailboxes: Record<string, number>;
  /** Database suffix → kind and size (posts or orders). */
  databases: Record<string, { kind: 'wordpress' | 'shop'; rows: number }>;
  themes: ThemeName[];
  plugins: PluginName[];
  images: number;
  media: MediaFile[];
}

const MB = 1024 * 1024;

const DEMO_CUSTOMERS: DemoCustomer[] = [
  {
    id: 'alice',
    name: 'Alice Becker – Bäckerei am Markt',
    domain: 'alice-bakery.example',
    packageId: 'basic',
    mailboxes: { info: 120, orders: 60 },
    databases: { wp: { kind: 'wordpress', rows: 1200 } },
    themes: ['twentytwentyfive'],
    plugins: ['akismet', 'contact-form-7', 'classic-editor'],
    images: 30,
    media: [
      { path: '2025/03/backstube-rundgang.mp4', bytes: 6 * MB },
      { path: '2025/06/Preisliste 2025 (final).pdf', bytes: 2.5 * MB },
    ],
  },
  {
    id: 'bob',
    name: "Bob's Bikes GmbH",
    domain: 'bobs-bikes.example',
    packageId: 'business',
    mailboxes: { info: 150, shop: 200, bob: 80 },
    databases: {
      wp: { kind: 'wordpress', rows: 1500 },
      shop: { kind: 'shop', rows: 1500 },
    },
    themes: ['astra'],
    plugins: ['woocommerce', 'akismet', 'wordfence'],
    images: 50,
    media: [
      { path: '2025/04/bike-assembly.mp4', bytes: 8 * MB },
      { path: '2024/11/katalog-2025.pdf', bytes: 4 * MB },
      { path: 'woocommerce_uploads/e-bike-manual.zip', bytes: 3 * MB },
    ],
  },
  {
    id: 'carol',
    name: 'Carol Weber Consulting',
    domain: 'carol-consulting.example',
    packageId: 'business',
    mailboxes: { carol: 200, office: 100 },
    databases: { wp: { kind: 'wordpress', rows: 1000 } },
    themes: ['twentytwentyfour', 'twentytwentyfive'],
    plugins: ['wordpress-seo', 'contact-form-7', 'elementor', 'wpforms-lite'],
    images: 40,
    media: [
      { path: '2025/05/keynote-2025.mp4', bytes: 7 * MB },
      { path: '2025/09/whitepaper-datenschutz.pdf', bytes: 3 * MB },
    ],
  },
];

const ROOT_OWNER: Owner = { uid: 0, gid: 0 };
/** Marks a directory as a demo layout, and holds the secret the database passwords derive from. */
const MARKER = '.hostvault-demo';
const CONFIG_MTIME = Math.floor(Date.parse('2024-03-18T09:25:00Z') / 1000);

export async function buildDemoLayout(
  rootDir: string,
  opts: DemoLayoutOptions = {},
): Promise<DemoLayout> {
  const started = performance.now();
  const prefix = opts.databasePrefix ?? 'hv_';
  if (!/^[A-Za-z0-9_]{0,20}$/.test(prefix)) {
    throw new Error(
      `invalid database prefix "${prefix}": use up to 20 letters, digits or underscores`,
    );
  }
  await mkdir(resolve(rootDir), { recursive: true, mode: 0o755 });
  // The inventory refuses paths under symbolic links: use the real one.
  const root = await realpath(resolve(rootDir));
  const notes: string[] = [];
  const isRoot = process.getuid?.() === 0;
  const me: Owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const admin = isRoot ? ROOT_OWNER : me;
  if (!isRoot) {
    notes.push(`Not running as root: no Linux users made; every file belongs to uid ${me.uid}.`);
  }
  // The layout syncs whole trees (deleting what it did not make): only ever in its own directory.
  const marker = join(root, MARKER);
  const existing = await readdir(root);
  // The first engine demo left <root>/<customer>/public_html behind: that is a demo layout too.
  const legacy = existing.every((e) => ['alice', 'bob', 'carol', '.restore'].includes(e));
  if (existing.length > 0 && !existing.includes(MARKER) && !legacy) {
    throw new Error(
      `${root} is not empty and holds no demo layout (no ${MARKER}); choose a new or empty directory`,
    );
  }
  const secret = await demoSecret(marker);

  // MariaDB first, in the background: the server builds the rows while we write files.
  let mariadb: { conn: MariaDbConnection; version: string } | undefined;
  if (opts.mariadb !== false) {
    const conn = opts.mariadb ?? { user: 'root' };
    try {
      const version = (await runSql(conn, 'SELECT VERSION();', 15_000)).trim();
      mariadb = { conn, version };
    } catch (error) {
      const where = conn.socketPath ?? conn.host ?? 'the local socket';
      notes.push(
        `MariaDB is not reachable on ${where} as ${conn.user} (${firstLine(error)}): databases skipped.`,
      );
    }
  } else {
    notes.push('Databases skipped (MariaDB disabled).');
  }

  // Linux users, one after the other (useradd locks /etc/passwd).
  const users = new Map<string, { name: string; owner: Owner }>();
  const createdUsers: string[] = [];
  for (const c of DEMO_CUSTOMERS) {
    const name = `hv-${c.id}`;
    if (!isRoot) {
      users.set(c.id, { name: process.env.USER ?? name, owner: me });
      continue;
    }
    const user = await ensureLinuxUser(name, `hostvault demo customer ${c.id}`);
    if (user.created) createdUsers.push(`${name} (uid ${user.uid})`);
    users.set(c.id, { name, owner: { uid: user.uid, gid: user.gid } });
  }
  if (createdUsers.length > 0) notes.push(`Created Linux users: ${createdUsers.join(', ')}.`);

  const databaseJobs = DEMO_CUSTOMERS.map((c) => {
    const names = Object.entries(c.databases).map(([suffix, d]) => ({
      name: `${prefix}${c.id}_${suffix}`,
      ...d,
    }));
    const user = `${prefix}${c.id}`;
    const password = derivePassword(secret, user);
    const job =
      mariadb === undefined
        ? Promise.resolve()
        : runSql(
            mariadb.conn,
            customerDatabasesSql({ user, password, databases: names }),
            300_000,
          ).then(() => undefined);
    // Keep an early failure from being reported as unhandled before we await it.
    job.catch(() => {});
    return { id: c.id, user, password, names: names.map((n) => n.name), job };
  });

  const dirs = {
    www: join(root, 'var/www'),
    vmail: join(root, 'var/vmail'),
    nginxLogs: join(root, 'var/log/nginx'),
    certs: join(root, 'etc/ssl/certs'),
    keys: join(root, 'etc/ssl/private'),
    sitesAvailable: join(root, 'etc/nginx/sites-available'),
    sitesEnabled: join(root, 'etc/nginx/sites-enabled'),
    pools: join(root, 'etc/php/8.2/fpm/pool.d'),
  };
  for (const [key, dir] of Object.entries(dirs)) {
    ensureDir(dir, key === 'keys' ? 0o710 : 0o755, admin, isRoot);
  }

  const customers: Customer[] = [];
  const stats: DemoCustomerStats[] = [];
  let certsMade = 0;
  for (const c of DEMO_CUSTOMERS) {
    const { name: linuxUser, owner } = users.get(c.id)!;
    const db = databaseJobs.find((j) => j.id === c.id)!;
    const home = join(dirs.www, c.id);
    const webRoot = join(home, 'public_html');
    // 0751: the web server may pass through to public_html, but not list the home.
    ensureDir(home, 0o751, owner, isRoot);
    const web = syncTree(
      webRoot,
      planWebRoot({
        customer: c.id,
        siteName: c.name,
        domain: c.domain,
        owner,
        themes: c.themes,
        plugins: c.plugins,
        images: c.images,
        media: c.media,
        database:
          mariadb === undefined
            ? undefined
            : { name: db.names[0]!, user: db.user, password: db.password },
        seed: c.id,
      }),
      { chown: isRoot },
    );
    let written = web.written + web.removed;

    const mailboxes: Customer['mailboxes'] = [];
    let messages = 0;
    const domainDir = join(dirs.vmail, c.domain);
    ensureDir(domainDir, 0o755, admin, isRoot);
    for (const [local, count] of Object.entries(c.mailboxes)) {
      const address = `${local}@${c.domain}`;
      const boxDir = join(domainDir, local);
      ensureDir(boxDir, 0o700, owner, isRoot);
      const maildir = join(boxDir, 'Maildir');
      const sieveDir = join(boxDir, 'sieve');
      const mail = planMaildir({
        address,
        displayName: c.name,
        owner,
        messages: count,
        seed: c.id,
      });
      const m = syncTree(maildir, mail.plan, { chown: isRoot });
      const s = syncTree(sieveDir, planSieve({ address, owner, seed: c.id }), { chown: isRoot });
      written += m.written + m.removed + s.written + s.removed;
      messages += mail.messages;
      mailboxes.push({ address, maildir, sieveDir });
    }

    const certFile = join(dirs.certs, `${c.domain}.pem`);
    const keyFile = join(dirs.keys, `${c.domain}.key`);
    if (await ensureCertificate(certFile, keyFile, c.domain, c.name)) certsMade++;
    ensureFileMode(certFile, 0o644, admin, isRoot);
    ensureFileMode(keyFile, 0o600, admin, isRoot);

    const vhost = join(dirs.sitesAvailable, `${c.domain}.conf`);
    const pool = join(dirs.pools, `${c.id}.conf`);
    const fpmSocket = `/run/php/php8.2-fpm-${c.id}.sock`;
    const config = (content: string) => ({
      content: Buffer.from(content),
      mode: 0o644,
      mtime: CONFIG_MTIME,
      ...admin,
    });
    if (
      syncFile(
        vhost,
        config(
          nginxVhost({
            domain: c.domain,
            webRoot,
            certFile,
            keyFile,
            fpmSocket,
            logDir: dirs.nginxLogs,
          }),
        ),
        isRoot,
      )
    ) {
      written++;
    }
    if (
      syncFile(
        pool,
        config(
          phpFpmPool({ pool: c.id, user: linuxUser, group: linuxUser, socket: fpmSocket, webRoot }),
        ),
        isRoot,
      )
    ) {
      written++;
    }
    await ensureSymlink(
      join(dirs.sitesEnabled, `${c.domain}.conf`),
      `../sites-available/${c.domain}.conf`,
    );

    customers.push({
      id: c.id,
      name: c.name,
      linuxUser,
      uid: owner.uid,
      gid: owner.gid,
      packageId: c.packageId,
      webRoot,
      databases: mariadb === undefined ? [] : db.names,
      ...(mariadb === undefined ? {} : { databaseUser: db.user }),
      mailboxes,
      sslFiles: [certFile, keyFile],
      configFiles: [vhost, pool],
    });
    stats.push({
      id: c.id,
      linuxUser,
      uid: owner.uid,
      webFiles: web.files,
      webBytes: web.bytes,
      mailMessages: messages,
      databases: mariadb === undefined ? [] : db.names,
      media: c.media.map((m) => join(webRoot, 'wp-content/uploads', m.path)),
      written,
    });
  }
  if (certsMade > 0) notes.push(`Made ${certsMade} self-signed certificate(s) with openssl.`);

  if (mariadb !== undefined) {
    const results = await Promise.allSettled(databaseJobs.map((j) => j.job));
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${databaseJobs[i]!.id}: ${firstLine(r.reason)}`] : [],
    );
    if (failed.length > 0)
      throw new Error(`cannot create the demo databases: ${failed.join('; ')}`);
    const all = databaseJobs.flatMap((j) => j.names);
    notes.push(
      `MariaDB ${mariadb.version}: (re)created ${all.length} databases (${all.join(', ')}), each owned by its customer's database user (${databaseJobs.map((j) => j.user).join(', ')}); passwords in each wp-config.php.`,
    );
  }

  const inventory = inventorySchema.parse({ packages: DEMO_PACKAGES, customers });
  return { inventory, notes, customers: stats, seconds: (performance.now() - started) / 1000 };
}

/** A random secret kept with the layout, from which database passwords are derived. */
async function demoSecret(file: string): Promise<Buffer> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(text)) return Buffer.from(text, 'hex');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32);
  await writeFile(file, `${secret.toString('hex')}\n`, { mode: 0o600 });
  return secret;
}

function derivePassword(secret: Buffer, user: string): string {
  return createHmac('sha256', secret).update(`mariadb:${user}`).digest('base64url').slice(0, 24);
}

async function ensureSymlink(path: string, target: string): Promise<void> {
  const current = await readlink(path).catch(() => undefined);
  if (current === target) return;
  await rm(path, { force: true });
  await symlink(target, path);
}

function ensureFileMode(file: string, mode: number, owner: Owner, chown: boolean): void {
  const st = statSync(file);
  if ((st.mode & 0o7777) !== mode) chmodSync(file, mode);
  if (chown && (st.uid !== owner.uid || st.gid !== owner.gid))
    chownSync(file, owner.uid, owner.gid);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}
