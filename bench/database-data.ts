/**
 * Seeded MariaDB databases for the database-backup case: what a hosting customer's databases
 * look like (WordPress sites: posts with revisions, postmeta, comments, options, users, terms;
 * a shop with orders and order items), with text columns, secondary indexes and row sizes from
 * 20 bytes to tens of kilobytes. The same { bytes, seed } gives the same rows everywhere.
 *
 * Generating 500 MB takes a while, so the databases stay between runs: `hvbench_meta.spec` holds
 * one row per database (generator version, seed, size) written only after the database was
 * loaded completely, and a later run reuses every database whose row matches. Names carry the
 * size (`hvbench_500m_wp_main`), so a `--quick` run of another engineer never replaces the
 * full-size databases someone is measuring.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mulberry32 } from './data.js';

/** Bump when the generated rows or tables change, so databases of the old layout are rebuilt. */
const GENERATOR_VERSION = 1;
const META_DB = 'hvbench_meta';
/** Rows are sent as multi-row INSERTs of about this size (server max_allowed_packet: 16 MB). */
const STATEMENT_BYTES = 1 << 20;

export interface DatabaseSpec {
  /** Row data over all databases, as SQL text (about what the dumps hold). */
  bytes: number;
  seed: number;
}

export interface BenchDatabase {
  name: string;
  /** Bytes of the rows' VALUES tuples as generated. */
  rowBytes: number;
  rows: number;
  tables: string[];
}

export interface DatabaseSet {
  spec: DatabaseSpec;
  databases: BenchDatabase[];
  names: string[];
  rowBytes: number;
  rows: number;
  /** Seconds spent generating in this run; 0 when every database was reused. */
  generatedIn: number;
}

// ---------------------------------------------------------------------------------------------
// Randomness and text

type Rand = () => number;

function hash32(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\0')).digest().readUInt32LE(0);
}

const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
function logNormal(r: Rand, median: number, sigma: number, max: number): number {
  const u = Math.max(r(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  return Math.min(max, Math.max(1, Math.round(median * Math.exp(sigma * z))));
}

const WORDS = [
  'the', 'of', 'and', 'to', 'in', 'is', 'for', 'on', 'with', 'that', 'this', 'you', 'it', 'we',
  'our', 'your', 'can', 'will', 'from', 'are', 'be', 'at', 'as', 'an', 'all', 'more', 'new',
  'garden', 'recipe', 'travel', 'summer', 'winter', 'coffee', 'bread', 'city', 'mountain', 'lake',
  'holiday', 'family', 'guide', 'review', 'update', 'release', 'plugin', 'theme', 'website',
  'customer', 'order', 'shipping', 'product', 'price', 'discount', 'service', 'support', 'team',
  'photo', 'gallery', 'video', 'event', 'workshop', 'meeting', 'school', 'music', 'concert',
  'football', 'season', 'weekend', 'morning', 'evening', 'kitchen', 'house', 'room', 'window',
  'bicycle', 'train', 'station', 'hotel', 'beach', 'forest', 'river', 'village', 'market',
  'simple', 'quick', 'easy', 'best', 'great', 'little', 'old', 'local', 'fresh', 'small', 'big',
  'really', 'always', 'never', 'often', 'today', 'tomorrow', 'yesterday', 'finally', 'however',
  'München', 'Köln', 'Zürich', 'größer', 'schön', 'Straße', 'Bäckerei', 'café', 'naïve',
] as const; // prettier-ignore
const CONTRACTIONS = ["don't", "it's", "we're", "you'll", "can't", "isn't", "that's", "I've"];

/** A few MB of prose that text columns take slices from: generating every word costs too much. */
const PROSE_CHARS = 4 << 20;
const proseCache = new Map<number, string>();

function prose(seed: number): string {
  let text = proseCache.get(seed);
  if (text) return text;
  const r = mulberry32(hash32('prose', seed));
  const parts: string[] = [];
  let length = 0;
  while (length < PROSE_CHARS) {
    const words: string[] = [];
    const n = int(r, 4, 22);
    for (let i = 0; i < n; i++) words.push(r() < 0.04 ? pick(r, CONTRACTIONS) : pick(r, WORDS));
    let sentence = words.join(' ');
    sentence = sentence[0]!.toUpperCase() + sentence.slice(1) + pick(r, ['.', '.', '.', '!', '?']);
    // Paragraph breaks: text columns hold newlines, which dumps escape.
    if (r() < 0.12) sentence += '\n\n';
    else sentence += ' ';
    parts.push(sentence);
    length += sentence.length;
  }
  text = parts.join('');
  proseCache.set(seed, text);
  return text;
}

/**
 * SQL string literal as mariadb-dump writes it. Generated text never holds NUL, CR or ^Z, so
 * escaping backslashes, quotes and newlines covers it.
 */
function q(value: string): string {
  return `'${value.replace(/[\\'\n]/g, (c) => ESCAPES[c]!)}'`;
}
const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n' };

/** What row generators use: the table's random stream plus text and value helpers. */
class Gen {
  readonly r: Rand;
  private readonly text: string;
  /** Rows generated so far per table of this database, for foreign keys. */
  readonly counts = new Map<string, number>();

  constructor(seed: number, key: string) {
    this.r = mulberry32(hash32('rows', seed, key));
    this.text = prose(seed);
  }

  int(lo: number, hi: number): number {
    return int(this.r, lo, hi);
  }
  pick<T>(list: readonly T[]): T {
    return pick(this.r, list);
  }
  sizeOf(median: number, sigma: number, max: number): number {
    return logNormal(this.r, median, sigma, max);
  }
  /** About `chars` characters of prose, starting at a word. */
  words(chars: number): string {
    const from = int(this.r, 0, this.text.length - chars - 64);
    const start = this.text.indexOf(' ', from) + 1;
    return this.text.slice(start, start + chars).trim();
  }
  /** WordPress block markup around paragraphs of prose. */
  html(chars: number): string {
    const out: string[] = [];
    let length = 0;
    while (length < chars) {
      const kind = this.int(0, 9);
      let block: string;
      if (kind === 0) {
        block = `<!-- wp:heading -->\n<h2 class="wp-block-heading">${this.words(this.int(12, 50))}</h2>\n<!-- /wp:heading -->`;
      } else if (kind === 1) {
        const id = this.int(1, 99_999);
        block = `<!-- wp:image {"id":${id},"sizeSlug":"large"} -->\n<figure class="wp-block-image size-large"><img src="https://example.com/wp-content/uploads/20${this.int(18, 25)}/${String(this.int(1, 12)).padStart(2, '0')}/${this.words(12).replace(/\W+/g, '-').toLowerCase()}-1024x683.jpg" alt="" class="wp-image-${id}"/></figure>\n<!-- /wp:image -->`;
      } else if (kind === 2) {
        const items = Array.from(
          { length: this.int(2, 6) },
          () => `<li>${this.words(this.int(20, 90))}</li>`,
        );
        block = `<!-- wp:list -->\n<ul>${items.join('')}</ul>\n<!-- /wp:list -->`;
      } else {
        block = `<!-- wp:paragraph -->\n<p>${this.words(this.sizeOf(400, 0.7, 4000))}</p>\n<!-- /wp:paragraph -->`;
      }
      out.push(block);
      length += block.length + 2;
    }
    return out.join('\n\n');
  }
  slug(): string {
    return this.words(this.int(15, 60))
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
  }
  name(): string {
    return `${this.pick(FIRST)} ${this.pick(LAST)}`;
  }
  email(): string {
    return `${this.pick(FIRST).toLowerCase()}.${this.pick(LAST).toLowerCase()}${this.int(1, 999)}@${this.pick(MAIL_HOSTS)}`;
  }
  ip(): string {
    return `${this.int(1, 223)}.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(1, 254)}`;
  }
  /** A datetime that grows with `index` over about six years, as ids and dates do. */
  date(index: number, perDay: number): string {
    const seconds = EPOCH + Math.floor((index / perDay) * 86_400) + this.int(0, 86_399);
    return new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
  }
  /** A PHP-serialized array, as WordPress stores options and meta. */
  serialized(entries: number): string {
    const parts: string[] = [];
    for (let i = 0; i < entries; i++) {
      const key = `${this.pick(WORDS)}_${this.pick(WORDS)}`;
      const value =
        this.r() < 0.5 ? `i:${this.int(0, 100_000)};` : stringPhp(this.words(this.int(3, 80)));
      parts.push(`${stringPhp(key)}${value}`);
    }
    return `a:${entries}:{${parts.join('')}}`;
  }
}

function stringPhp(s: string): string {
  return `s:${Buffer.byteLength(s)}:"${s}";`;
}

const EPOCH = Date.UTC(2019, 0, 1) / 1000;
const FIRST = [
  'Anna', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Greta', 'Hannah', 'Jonas', 'Lea', 'Lukas',
  'Maria', 'Noah', 'Olivia', 'Paul', 'Sophie', 'Tom', 'Zoe', 'Jürgen', 'Renée',
] as const; // prettier-ignore
const LAST = [
  'Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Smith',
  'Johnson', 'Brown', 'Miller', 'Garcia', 'Martin', 'Dubois', 'Rossi', 'Novak', "O'Brien",
] as const; // prettier-ignore
const MAIL_HOSTS = ['example.com', 'example.org', 'mail.example.net', 'web.example.de'] as const;
const META_KEYS = [
  '_edit_lock', '_edit_last', '_thumbnail_id', '_wp_page_template', '_yoast_wpseo_title',
  '_yoast_wpseo_metadesc', '_yoast_wpseo_focuskw', '_wp_old_slug', '_price', '_regular_price',
  '_sku', '_stock', '_stock_status', '_weight', 'total_sales', '_elementor_edit_mode',
  '_wp_attached_file', '_wp_attachment_image_alt', 'rank_math_seo_score', '_menu_item_type',
] as const; // prettier-ignore
const POST_TYPES = ['post', 'post', 'page', 'attachment', 'revision', 'revision', 'nav_menu_item'];
const STATUSES = ['publish', 'publish', 'publish', 'draft', 'inherit', 'private'] as const;

// ---------------------------------------------------------------------------------------------
// Tables

interface TableDef {
  name: string;
  /** Column list and keys of CREATE TABLE. */
  columns: string;
  /** Share of the database's row bytes this table gets. */
  share: number;
  /** The VALUES tuple of row `id` (1-based). */
  row: (g: Gen, id: number) => string;
}

const WP_TABLES: TableDef[] = [
  {
    name: 'wp_options',
    share: 0.04,
    columns: `option_id bigint unsigned NOT NULL AUTO_INCREMENT,
      option_name varchar(191) NOT NULL DEFAULT '',
      option_value longtext NOT NULL,
      autoload varchar(20) NOT NULL DEFAULT 'yes',
      PRIMARY KEY (option_id), UNIQUE KEY option_name (option_name), KEY autoload (autoload)`,
    row: (g, id) => {
      // Mostly small settings; transients and plugin caches are big serialized blobs.
      const big = g.r() < 0.08;
      const value = big
        ? g.serialized(g.int(20, 400))
        : g.r() < 0.5
          ? String(g.int(0, 9999))
          : g.words(g.int(4, 120));
      const name = `${g.r() < 0.3 ? '_transient_' : ''}${g.pick(WORDS)}_${g.pick(WORDS)}_${id}`;
      return `(${id},${q(name)},${q(value)},${q(big ? 'no' : 'yes')})`;
    },
  },
  {
    name: 'wp_users',
    share: 0.01,
    columns: `ID bigint unsigned NOT NULL AUTO_INCREMENT,
      user_login varchar(60) NOT NULL DEFAULT '',
      user_pass varchar(255) NOT NULL DEFAULT '',
      user_nicename varchar(50) NOT NULL DEFAULT '',
      user_email varchar(100) NOT NULL DEFAULT '',
      user_url varchar(100) NOT NULL DEFAULT '',
      user_registered datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
      user_activation_key varchar(255) NOT NULL DEFAULT '',
      user_status int NOT NULL DEFAULT 0,
      display_name varchar(250) NOT NULL DEFAULT '',
      PRIMARY KEY (ID), KEY user_login_key (user_login), KEY user_nicename (user_nicename),
      KEY user_email (user_email)`,
    row: (g, id) => {
      const email = g.email();
      const login = `${email.split('@')[0]}${id}`;
      const hash = createHash('md5').update(`${id}${login}`).digest('base64');
      return `(${id},${q(login)},${q(`$P$B${hash}`)},${q(login.toLowerCase())},${q(email)},'',${q(g.date(id, 2))},'',0,${q(g.name())})`;
    },
  },
  {
    name: 'wp_posts',
    share: 0.46,
    columns: `ID bigint unsigned NOT NULL AUTO_INCREMENT,
      post_author bigint unsigned NOT NULL DEFAULT 0,
      post_date datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
      post_date_gmt datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
      post_content longtext NOT NULL,
      post_title text NOT NULL,
      post_excerpt text NOT NULL,
      post_status varchar(20) NOT NULL DEFAULT 'publish',
      comment_status varchar(20) NOT NULL DEFAULT 'open',
      ping_status varchar(20) NOT NULL DEFAULT 'open',
      post_password varchar(255) NOT NULL DEFAULT '',
      post_name varchar(200) NOT NULL DEFAULT '',
      to_ping text NOT NULL,
      pinged text NOT NULL,
      post_modified datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
      post_modified_gmt datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
      post_content_filtered longtext NOT NULL,
      post_parent bigint unsigned NOT NULL DEFAULT 0,
      guid varchar(255) NOT NULL DEFAULT '',
      menu_order int NOT NULL DEFAULT 0,
      post_type varchar(20) NOT NULL DEFAULT 'post',
      post_mime_type varchar(100) NOT NULL DEFAULT '',
      comment_count bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (ID), KEY post_name (post_name(191)),
      KEY type_status_date (post_type, post_status, post_date, ID),
      KEY post_parent (post_parent), KEY post_author (post_author)`,
    row: (g, id) => {
      const type = g.pick(POST_TYPES);
      const content =
        type === 'attachment' || type === 'nav_menu_item'
          ? ''
          : g.html(g.sizeOf(2500, 1.1, 60_000));
      const date = g.date(id, 12);
      const slug = type === 'revision' ? `${Math.max(1, id - g.int(1, 40))}-revision-v1` : g.slug();
      const users = Math.max(1, g.counts.get('wp_users') ?? 1);
      const parent =
        type === 'revision' || type === 'attachment' ? Math.max(0, id - g.int(1, 200)) : 0;
      return (
        `(${id},${g.int(1, users)},${q(date)},${q(date)},${q(content)},${q(g.words(g.int(12, 80)))},` +
        `${q(g.r() < 0.2 ? g.words(g.int(60, 300)) : '')},${q(type === 'revision' || type === 'attachment' ? 'inherit' : g.pick(STATUSES))},` +
        `'open','closed','',${q(slug)},'','',${q(date)},${q(date)},'',${parent},` +
        `${q(`https://example.com/?p=${id}`)},0,${q(type)},${q(type === 'attachment' ? 'image/jpeg' : '')},${g.int(0, 40)})`
      );
    },
  },
  {
    name: 'wp_postmeta',
    share: 0.2,
    columns: `meta_id bigint unsigned NOT NULL AUTO_INCREMENT,
      post_id bigint unsigned NOT NULL DEFAULT 0,
      meta_key varchar(255) DEFAULT NULL,
      meta_value longtext,
      PRIMARY KEY (meta_id), KEY post_id (post_id), KEY meta_key (meta_key(191))`,
    row: (g, id) => {
      const posts = Math.max(1, g.counts.get('wp_posts') ?? 1);
      const key = g.pick(META_KEYS);
      const roll = g.r();
      const value =
        roll < 0.45
          ? String(g.int(0, 250_000))
          : roll < 0.8
            ? g.words(g.int(5, 90))
            : roll < 0.95
              ? `${g.int(1_700_000_000, 1_760_000_000)}:${g.int(1, 9)}`
              : g.serialized(g.int(3, 25));
      return `(${id},${g.int(1, posts)},${q(key)},${q(value)})`;
    },
  },
  {
    name: 'wp_comments',
    share: 0.22,
    columns: `comment_ID bigint unsigned NOT NULL AUTO_INCREMENT,
      comment_post_ID bigint unsigned NOT NULL DEFAULT 0,
      comment_author tinytext NOT NULL,
      comment_author_email varchar(100) NOT NULL DEFAULT '',
      comment_author_url varchar(200) NOT NULL DEFAULT '',
      comment_author_IP varchar(100) NOT NULL DEFAULT '',
      comment_date datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
      comment_date_gmt datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
      comment_content text NOT NULL,
      comment_karma int NOT NULL DEFAULT 0,
      comment_approved varchar(20) NOT NULL DEFAULT '1',
      comment_agent varchar(255) NOT NULL DEFAULT '',
      comment_type varchar(20) NOT NULL DEFAULT 'comment',
      comment_parent bigint unsigned NOT NULL DEFAULT 0,
      user_id bigint unsigned NOT NULL DEFAULT 0,
      PRIMARY KEY (comment_ID), KEY comment_post_ID (comment_post_ID),
      KEY comment_approved_date_gmt (comment_approved, comment_date_gmt),
      KEY comment_date_gmt (comment_date_gmt), KEY comment_parent (comment_parent),
      KEY comment_author_email (comment_author_email(10))`,
    row: (g, id) => {
      const posts = Math.max(1, g.counts.get('wp_posts') ?? 1);
      const date = g.date(id, 60);
      const agent = `Mozilla/5.0 (${g.pick(['Windows NT 10.0; Win64; x64', 'Macintosh; Intel Mac OS X 14_4', 'X11; Linux x86_64', 'iPhone; CPU iPhone OS 17_4 like Mac OS X'])}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${g.int(100, 130)}.0.0.0 Safari/537.36`;
      const spam = g.r() < 0.15;
      return (
        `(${id},${g.int(1, posts)},${q(g.name())},${q(g.email())},${q(g.r() < 0.3 ? `https://${g.slug().slice(0, 30)}.example.com` : '')},` +
        `${q(g.ip())},${q(date)},${q(date)},${q(g.words(g.sizeOf(220, 0.9, 8000)))},0,${q(spam ? 'spam' : '1')},` +
        `${q(agent)},'comment',${g.r() < 0.25 ? g.int(1, id) : 0},0)`
      );
    },
  },
  {
    name: 'wp_terms',
    share: 0.01,
    columns: `term_id bigint unsigned NOT NULL AUTO_INCREMENT,
      name varchar(200) NOT NULL DEFAULT '',
      slug varchar(200) NOT NULL DEFAULT '',
      term_group bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (term_id), KEY slug (slug(191)), KEY name (name(191))`,
    row: (g, id) => {
      const name = g.words(g.int(5, 30));
      return `(${id},${q(name)},${q(`${g.slug().slice(0, 40)}-${id}`)},0)`;
    },
  },
  {
    name: 'wp_term_relationships',
    share: 0.06,
    columns: `object_id bigint unsigned NOT NULL DEFAULT 0,
      term_taxonomy_id bigint unsigned NOT NULL DEFAULT 0,
      term_order int NOT NULL DEFAULT 0,
      PRIMARY KEY (object_id, term_taxonomy_id), KEY term_taxonomy_id (term_taxonomy_id)`,
    // Tiny rows, many of them: per-row cost dominates dumping such tables. The key grows with
    // the row number, so rows arrive in primary-key order as real inserts mostly do.
    row: (g, id) => `(${id},${g.int(1, Math.max(1, g.counts.get('wp_terms') ?? 1))},0)`,
  },
];

const SHOP_TABLES: TableDef[] = [
  {
    name: 'shop_orders',
    share: 0.6,
    columns: `id bigint unsigned NOT NULL AUTO_INCREMENT,
      customer_id bigint unsigned DEFAULT NULL,
      status varchar(20) NOT NULL,
      currency char(3) NOT NULL DEFAULT 'EUR',
      total decimal(12,2) NOT NULL,
      tax decimal(12,2) NOT NULL,
      shipping decimal(12,2) NOT NULL,
      billing_name varchar(200) NOT NULL,
      billing_email varchar(320) NOT NULL,
      billing_address text NOT NULL,
      shipping_address text,
      payment_method varchar(50) NOT NULL,
      transaction_id varchar(100) DEFAULT NULL,
      customer_note text,
      created_at datetime NOT NULL,
      updated_at datetime NOT NULL,
      PRIMARY KEY (id), KEY status_created (status, created_at), KEY customer_id (customer_id),
      KEY billing_email (billing_email(50))`,
    row: (g, id) => {
      const total = g.int(500, 150_000);
      const address = `${g.name()}\n${g.pick(LAST)}straße ${g.int(1, 200)}\n${g.int(10_000, 99_999)} ${g.pick(['Berlin', 'Hamburg', 'München', 'Köln', 'Wien', 'Zürich'])}\n${g.pick(['DE', 'AT', 'CH'])}`;
      const created = g.date(id, 150);
      return (
        `(${id},${g.r() < 0.3 ? 'NULL' : g.int(1, 20_000)},${q(g.pick(['completed', 'completed', 'processing', 'cancelled', 'refunded', 'on-hold']))},'EUR',` +
        `${(total / 100).toFixed(2)},${((total * 0.19) / 119).toFixed(2)},${g.pick(['0.00', '4.90', '5.90'])},${q(g.name())},${q(g.email())},` +
        `${q(address)},${g.r() < 0.6 ? 'NULL' : q(address)},${q(g.pick(['paypal', 'stripe', 'bacs', 'cod', 'klarna']))},` +
        `${g.r() < 0.2 ? 'NULL' : q(createHash('sha1').update(String(id)).digest('hex').slice(0, 24).toUpperCase())},` +
        `${g.r() < 0.85 ? 'NULL' : q(g.words(g.int(10, 300)))},${q(created)},${q(created)})`
      );
    },
  },
  {
    name: 'shop_order_items',
    share: 0.4,
    columns: `id bigint unsigned NOT NULL AUTO_INCREMENT,
      order_id bigint unsigned NOT NULL,
      product_id bigint unsigned NOT NULL,
      sku varchar(64) NOT NULL,
      name varchar(255) NOT NULL,
      quantity int NOT NULL,
      unit_price decimal(12,2) NOT NULL,
      options json DEFAULT NULL,
      PRIMARY KEY (id), KEY order_id (order_id), KEY product_id (product_id)`,
    row: (g, id) => {
      const orders = Math.max(1, g.counts.get('shop_orders') ?? 1);
      const product = g.int(1, 5000);
      const options =
        g.r() < 0.5
          ? 'NULL'
          : q(
              JSON.stringify({
                size: g.pick(['S', 'M', 'L', 'XL']),
                colour: g.pick(WORDS),
                gift: g.r() < 0.1,
              }),
            );
      return `(${id},${Math.min(orders, 1 + Math.floor(id / 2.3))},${product},${q(`SKU-${product}-${g.int(1, 9)}`)},${q(g.words(g.int(15, 70)))},${g.int(1, 5)},${(g.int(99, 25_000) / 100).toFixed(2)},${options})`;
    },
  },
];

interface DatabasePlan {
  /** Name without the `hvbench_<size>_` prefix. */
  suffix: string;
  share: number;
  tables: TableDef[];
}

/** Shares of the WordPress part scale by `factor` so a shop's products take what its orders leave. */
function scaled(tables: TableDef[], factor: number): TableDef[] {
  return tables.map((t) => ({ ...t, share: t.share * factor }));
}

/**
 * A customer with a few sites: one big WordPress, a shop (WordPress with orders), a smaller blog
 * and a small site. Uneven sizes, as real customers have them.
 */
const PLAN: DatabasePlan[] = [
  { suffix: 'wp_main', share: 0.42, tables: WP_TABLES },
  {
    suffix: 'shop',
    share: 0.3,
    tables: [...scaled(WP_TABLES, 0.35), ...scaled(SHOP_TABLES, 0.65)],
  },
  { suffix: 'wp_blog', share: 0.18, tables: WP_TABLES },
  { suffix: 'wp_club', share: 0.1, tables: WP_TABLES },
];

/** `hvbench_500m_`: the size in the name keeps data sets of different sizes apart. */
export function databasePrefix(spec: DatabaseSpec): string {
  return `hvbench_${Math.round(spec.bytes / 1e6)}m_`;
}

// ---------------------------------------------------------------------------------------------
// Loading

/** One `mariadb` client as root over the socket; statements go in through stdin. */
class Client {
  private readonly child;
  private stderr = '';
  private readonly done: Promise<string>;

  constructor(args: string[] = []) {
    this.child = spawn(
      'mariadb',
      [
        '--user=root',
        '--protocol=socket',
        '--batch',
        '--skip-column-names',
        '--default-character-set=utf8mb4',
        ...args,
      ],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent' },
      },
    );
    let stdout = '';
    this.child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    this.child.stderr
      .setEncoding('utf8')
      .on('data', (s: string) => (this.stderr = (this.stderr + s).slice(-4000)));
    this.child.stdin.on('error', () => undefined);
    this.done = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code) =>
        code === 0
          ? resolve(stdout)
          : reject(new Error(`mariadb exited ${code}: ${this.stderr.trim()}`)),
      );
    });
    // Attached now so a failure before end() is not an unhandled rejection; end() reports it.
    this.done.catch(() => undefined);
  }

  async write(sql: string): Promise<void> {
    if (!this.child.stdin.write(sql)) {
      await new Promise<void>((resolve, reject) => {
        const onClose = (): void => reject(new Error(`mariadb stopped: ${this.stderr.trim()}`));
        this.child.stdin.once('drain', () => {
          this.child.off('close', onClose);
          resolve();
        });
        this.child.once('close', onClose);
      });
    }
  }

  async end(): Promise<string> {
    this.child.stdin.end();
    return this.done;
  }
}

async function query(sql: string): Promise<string[][]> {
  const client = new Client();
  await client.write(sql);
  const out = await client.end();
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'));
}

/** Streams one database's tables as multi-row INSERTs; returns what it generated. */
async function loadDatabase(
  client: Client,
  name: string,
  plan: DatabasePlan,
  bytes: number,
  seed: number,
): Promise<BenchDatabase> {
  await client.write(
    `DROP DATABASE IF EXISTS \`${name}\`;\nCREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\nUSE \`${name}\`;\n`,
  );
  const gen = new Gen(seed, name);
  let rowBytes = 0;
  let rows = 0;
  for (const table of plan.tables) {
    await client.write(
      `CREATE TABLE \`${table.name}\` (${table.columns}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;\n`,
    );
    const target = bytes * table.share;
    let done = 0;
    let id = 0;
    // One transaction per table into an empty table with unique and foreign key checks off:
    // MariaDB 10.6+ then loads it in bulk (sorted index builds, no per-row undo log).
    await client.write('BEGIN;\n');
    while (done < target) {
      const tuples: string[] = [];
      let length = 0;
      while (length < STATEMENT_BYTES && done + length < target) {
        const tuple = table.row(gen, ++id);
        tuples.push(tuple);
        length += tuple.length + 1;
      }
      const values = tuples.join(',');
      done += Buffer.byteLength(values);
      await client.write(`INSERT INTO \`${table.name}\` VALUES ${values};\n`);
    }
    await client.write('COMMIT;\n');
    gen.counts.set(table.name, id);
    rowBytes += done;
    rows += id;
  }
  return { name, rowBytes, rows, tables: plan.tables.map((t) => t.name) };
}

/**
 * Makes sure the bench databases of `spec` exist, generating those whose recorded spec is
 * missing or different. Generation goes through one `mariadb` client's stdin: multi-row
 * INSERTs of about 1 MB, generated while the server inserts the previous ones.
 */
export async function ensureDatabases(
  spec: DatabaseSpec,
  log: (line: string) => void = () => {},
): Promise<DatabaseSet> {
  const prefix = databasePrefix(spec);
  await query(
    `CREATE DATABASE IF NOT EXISTS ${META_DB};
     CREATE TABLE IF NOT EXISTS ${META_DB}.spec (
       db varchar(64) PRIMARY KEY, version int NOT NULL, seed bigint NOT NULL,
       bytes bigint NOT NULL, row_bytes bigint NOT NULL, \`rows\` bigint NOT NULL,
       tables text NOT NULL, seconds double NOT NULL, created_at datetime NOT NULL
     ) ENGINE=InnoDB;`,
  );
  const recorded = new Map(
    (
      await query(
        `SELECT s.db, s.version, s.seed, s.bytes, s.row_bytes, s.\`rows\`, s.tables
           FROM ${META_DB}.spec s JOIN information_schema.SCHEMATA d ON d.SCHEMA_NAME = s.db
          WHERE s.db LIKE '${prefix.replace(/_/g, '\\_')}%';`,
      )
    ).map((row) => [row[0]!, row]),
  );
  const started = performance.now();
  const databases: (BenchDatabase | undefined)[] = [];
  const todo: { index: number; name: string; plan: DatabasePlan; bytes: number }[] = [];
  PLAN.forEach((plan, index) => {
    const name = `${prefix}${plan.suffix}`;
    const bytes = Math.round(spec.bytes * plan.share);
    const row = recorded.get(name);
    if (
      row &&
      Number(row[1]) === GENERATOR_VERSION &&
      Number(row[2]) === spec.seed &&
      Number(row[3]) === bytes
    )
      databases[index] = {
        name,
        rowBytes: Number(row[4]),
        rows: Number(row[5]),
        tables: row[6]!.split(','),
      };
    else todo.push({ index, name, plan, bytes });
  });
  // The server spends most of the time inserting rows (about 100,000 a second per connection),
  // generating them costs a tenth of that: two connections, one per core, load two databases at
  // once while this process feeds both.
  const worker = async (): Promise<void> => {
    let client: Client | undefined;
    for (let job = todo.shift(); job; job = todo.shift()) {
      if (!client) {
        client = new Client();
        await client.write(
          'SET SESSION unique_checks = 0, foreign_key_checks = 0, sql_log_bin = 0;\n',
        );
      }
      const t0 = performance.now();
      // The spec row goes away first and comes back only after the last INSERT: a run that
      // dies half way leaves no row, so the next run generates the database again.
      await client.write(`DELETE FROM ${META_DB}.spec WHERE db = '${job.name}';\n`);
      const db = await loadDatabase(client, job.name, job.plan, job.bytes, spec.seed);
      await client.write(
        `INSERT INTO ${META_DB}.spec VALUES ('${job.name}', ${GENERATOR_VERSION}, ${spec.seed}, ` +
          `${job.bytes}, ${db.rowBytes}, ${db.rows}, '${db.tables.join(',')}', ` +
          `${((performance.now() - t0) / 1000).toFixed(1)}, NOW());\n`,
      );
      log(
        `database ${job.name}: ${db.rows} rows, ${(db.rowBytes / 1e6).toFixed(0)} MB of rows sent`,
      );
      databases[job.index] = db;
    }
    await client?.end();
  };
  const generating = todo.length > 0;
  await Promise.all([worker(), worker()]);
  const generatedIn = generating ? (performance.now() - started) / 1000 : 0;
  const list = databases.filter((d): d is BenchDatabase => d !== undefined);
  return {
    spec,
    databases: list,
    names: list.map((d) => d.name),
    rowBytes: list.reduce((a, d) => a + d.rowBytes, 0),
    rows: list.reduce((a, d) => a + d.rows, 0),
    generatedIn,
  };
}
