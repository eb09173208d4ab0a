/**
 * Seeded generator of a web-root-like tree (WordPress layout: core, themes, plugins with vendor
 * trees, uploads/YYYY/MM with thumbnails, a few big media files and dumps). The same spec gives
 * the same bytes, names and mtimes on every machine, so runs on different days compare.
 *
 * Every file's content depends only on (seed, content key, size), never on generation order, so a
 * single file can be regenerated: that is how `revert` undoes `mutate` without copying the tree.
 */
import { createCipheriv, createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  futimesSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../test/support/browse-tree.js';

/** Bump when the generator's output changes, so cached trees of the old layout are not reused. */
const GENERATOR_VERSION = 1;
const CHUNK = 4 << 20;
const ZEROS = Buffer.alloc(CHUNK);

export interface DataSpec {
  files: number;
  bytes: number;
  seed: number;
}

export interface PlanEntry {
  /** Relative to the tree root. */
  path: string;
  size: number;
  kind: 'text' | 'random';
  /** Files with the same key and size have the same bytes (vendored copies, re-uploads). */
  key: string;
  /** Seconds since the epoch. */
  mtime: number;
}

export interface Dataset {
  spec: DataSpec;
  /** The directory that holds manifest.json and tree/. */
  dir: string;
  /** The web root to back up. */
  root: string;
  plan: PlanEntry[];
  totalBytes: number;
  textBytes: number;
  /** Bytes after removing files that are copies of others: what ideal file-level dedup keeps. */
  uniqueBytes: number;
  dirs: number;
  /** Seconds spent generating, or 0 when the cached tree was reused. */
  generatedIn: number;
}

export function benchDir(): string {
  return process.env.HOSTVAULT_BENCH_DIR || '/var/tmp/hostvault-bench';
}

// ---------------------------------------------------------------------------------------------
// Randomness

// The browse fixtures' generator: the same seed gives the same stream in both.
export { mulberry32 };

function digest(...parts: (string | number)[]): Buffer {
  return createHash('sha256').update(parts.join('\0')).digest();
}

function hash32(...parts: (string | number)[]): number {
  return digest(...parts).readUInt32LE(0);
}

type Rand = () => number;

const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
/** Log-uniform: sizes of media spread over orders of magnitude, as on real sites. */
const logUniform = (r: Rand, lo: number, hi: number): number =>
  Math.round(Math.exp(Math.log(lo) + r() * (Math.log(hi) - Math.log(lo))));
function logNormal(r: Rand, median: number, sigma: number): number {
  const u = Math.max(r(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  return median * Math.exp(sigma * z);
}

/**
 * Incompressible bytes: AES-128-CTR over zeros, keyed by the seed and the content key. Runs at
 * several GB/s with AES-NI, where a JS PRNG filling buffers would dominate generation time.
 */
function randomStream(seed: number, key: string): (n: number) => Buffer {
  const cipher = createCipheriv(
    'aes-128-ctr',
    digest('random', seed, key).subarray(0, 16),
    Buffer.alloc(16),
  );
  return (n) => cipher.update(n <= CHUNK ? ZEROS.subarray(0, n) : Buffer.alloc(n));
}

// ---------------------------------------------------------------------------------------------
// Compressible text: slices of a code-like corpus, so files compress like PHP/JS/CSS do (about
// 3-4x with zstd) without generating every byte in JavaScript.

const WORDS = [
  'admin', 'ajax', 'api', 'block', 'cache', 'cart', 'checkout', 'comment', 'config', 'core',
  'cron', 'customizer', 'dashboard', 'editor', 'email', 'embed', 'feed', 'field', 'form',
  'gallery', 'hooks', 'http', 'i18n', 'image', 'import', 'export', 'widget', 'menu', 'meta',
  'media', 'nav', 'option', 'order', 'page', 'payment', 'post', 'product', 'query', 'rest',
  'rewrite', 'role', 'search', 'session', 'settings', 'shipping', 'shortcode', 'sitemap', 'slider',
  'style', 'tax', 'template', 'term', 'theme', 'token', 'upload', 'user', 'validate', 'view',
] as const; // prettier-ignore
const FUNCS = [
  'esc_html', 'esc_attr', 'sanitize_text_field', 'wp_parse_args', 'apply_filters', 'do_action',
  'get_option', 'update_option', 'wp_enqueue_script', 'add_action', 'is_admin', 'array_merge',
  'isset', 'count', 'in_array', 'sprintf', '__', 'wp_json_encode', 'get_post_meta',
] as const; // prettier-ignore

function identifier(r: Rand): string {
  return `${pick(r, WORDS)}_${pick(r, WORDS)}`;
}

function codeLine(r: Rand): string {
  const indent = '\t'.repeat(int(r, 0, 3));
  const id = identifier(r);
  switch (int(r, 0, 11)) {
    case 0:
      return `${indent}$${id} = ${pick(r, FUNCS)}( $${identifier(r)}, '${pick(r, WORDS)}' );`;
    case 1:
      return `${indent}if ( ! empty( $${id}['${pick(r, WORDS)}'] ) ) {`;
    case 2:
      return `${indent}}`;
    case 3:
      return `${indent}return $${id};`;
    case 4:
      return `${indent}public function ${id}( $${pick(r, WORDS)}, $args = array() ) {`;
    case 5:
      return `${indent}// ${pick(r, WORDS)} ${pick(r, WORDS)} the ${pick(r, WORDS)} before ${pick(r, WORDS)}.`;
    case 6:
      return `.${pick(r, WORDS)}-${pick(r, WORDS)} { margin: ${int(r, 0, 40)}px ${int(r, 0, 9)}em; color: #${int(r, 0, 0xffffff).toString(16).padStart(6, '0')}; }`;
    case 7:
      return `${indent}var ${id}=function(e,t){return e.${pick(r, WORDS)}(t,${int(r, 0, 999)})||null};`;
    case 8:
      return `${indent}add_action( '${pick(r, WORDS)}_${pick(r, WORDS)}', array( $this, '${id}' ), ${int(r, 1, 99)} );`;
    case 9:
      return `${indent}'${pick(r, WORDS)}' => __( '${pick(r, WORDS)} ${pick(r, WORDS)}', '${pick(r, WORDS)}' ),`;
    case 10:
      return `${indent}foreach ( $${id} as $key => $${pick(r, WORDS)} ) {`;
    default:
      return `${indent}$this->${id}[] = (int) $${pick(r, WORDS)};`;
  }
}

const CORPUS_SIZE = 2 << 20;
const corpora = new Map<number, Buffer>();

function corpus(seed: number): Buffer {
  let buffer = corpora.get(seed);
  if (!buffer) {
    const r = mulberry32(hash32('corpus', seed));
    const lines: string[] = [];
    let length = 0;
    while (length < CORPUS_SIZE) {
      const line = codeLine(r);
      lines.push(line);
      length += line.length + 1;
    }
    buffer = Buffer.from(lines.join('\n') + '\n').subarray(0, CORPUS_SIZE);
    corpora.set(seed, buffer);
  }
  return buffer;
}

/** Fills `out` with text slices chosen by `r`, starting with a header unique to the content. */
function fillText(out: Buffer, r: Rand, seed: number, header: string): void {
  const source = corpus(seed);
  let at = out.write(header.slice(0, out.length));
  while (at < out.length) {
    const length = Math.min(int(r, 64, 1536), out.length - at);
    const from = int(r, 0, source.length - length);
    at += source.copy(out, at, from, from + length);
  }
}

function textContent(seed: number, key: string, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  fillText(out, mulberry32(hash32('text', seed, key)), seed, `/* ${key} */\n`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Layout

const ROOT_FILES = [
  'index.php', 'wp-config.php', 'wp-load.php', 'wp-login.php', 'wp-settings.php', 'xmlrpc.php',
  'wp-cron.php', 'wp-blog-header.php', 'wp-comments-post.php', 'wp-links-opml.php', 'wp-mail.php',
  'wp-signup.php', 'wp-trackback.php', 'wp-activate.php', 'license.txt', 'readme.html',
  '.htaccess', 'robots.txt',
] as const; // prettier-ignore
const CODE_EXT = [
  'php', 'php', 'php', 'php', 'js', 'js', 'min.js', 'css', 'min.css', 'json', 'svg', 'po', 'txt',
  'html', 'twig', 'md',
] as const; // prettier-ignore
const SUBDIRS = [
  'includes', 'admin', 'public', 'assets', 'js', 'css', 'images', 'src', 'lib', 'templates',
  'languages', 'vendor', 'blocks', 'partials', 'views', 'Controller', 'Model', 'Util', 'dist',
] as const; // prettier-ignore
const THUMBS = ['150x150', '300x200', '768x512', '1024x683', '1536x1024'] as const;

/** Content shared by files that are copies of each other, so scaling a size scales all copies. */
interface Content {
  size: number;
  kind: 'text' | 'random';
  key: string;
  media: boolean;
}

interface Draft {
  path: string;
  mtime: number;
  content: Content;
}

/** Makes `count` directories under `base`, each a child of an earlier one, so depth grows. */
function makeDirs(r: Rand, base: string, count: number): string[] {
  const dirs = [base];
  const seen = new Set(dirs);
  while (dirs.length < count) {
    // Often a recent (deeper) directory as parent, as vendor trees nest deeply; otherwise any,
    // which keeps the depth near what real plugins have (10-15 levels).
    const recent = r() < 0.4;
    const parent = dirs[recent ? dirs.length - 1 : Math.floor(r() * dirs.length)]!;
    let dir = `${parent}/${pick(r, SUBDIRS)}`;
    if (seen.has(dir)) dir = `${parent}/${pick(r, WORDS)}-${pick(r, WORDS)}`;
    if (seen.has(dir)) continue;
    seen.add(dir);
    dirs.push(dir);
  }
  return dirs;
}

const YEAR = 365 * 86400;
const EPOCH = Date.UTC(2025, 0, 1) / 1000;

export function makePlan(spec: DataSpec): PlanEntry[] {
  const r = mulberry32(hash32('plan', spec.seed, spec.files, spec.bytes));
  const drafts: Draft[] = [];
  const paths = new Set<string>();
  const contents: Content[] = [];
  const add = (content: Content, mtime: number, dir: string, name: string): void => {
    let path = `${dir}/${name}`;
    for (let n = 1; paths.has(path); n++) path = `${dir}/${n}-${name}`;
    paths.add(path);
    drafts.push({ path, mtime, content });
  };
  const codeSize = (): number =>
    // Bundled, minified scripts make the code's long tail.
    r() < 0.012
      ? logUniform(r, 50_000, 900_000)
      : Math.round(Math.min(300_000, Math.max(40, logNormal(r, 2500, 1.1))));
  const codeContents: Content[] = [];
  const codeFile = (dir: string, name: string): void => {
    // Plugins vendor the same libraries, so some files are byte-identical copies.
    let content = codeContents.length > 50 && r() < 0.04 ? pick(r, codeContents) : undefined;
    if (!content) {
      content = { size: codeSize(), kind: 'text', key: `c${drafts.length}`, media: false };
      codeContents.push(content);
      contents.push(content);
    }
    add(content, EPOCH - Math.floor(r() * 3 * YEAR), dir, name);
  };

  const webroot = 'public_html';
  const nCode = Math.max(ROOT_FILES.length, Math.round(spec.files * 0.7));
  for (const name of ROOT_FILES) codeFile(webroot, name);
  let left = nCode - ROOT_FILES.length;

  // Code groups and their share of the code files.
  const groups: [string, number][] = [
    [`${webroot}/wp-admin`, 0.08],
    [`${webroot}/wp-includes`, 0.17],
    [`${webroot}/wp-content/cache/page`, 0.04],
  ];
  const themes = ['twentytwentyfour', 'twentytwentythree', 'astra', 'astra-child'];
  for (const t of themes) groups.push([`${webroot}/wp-content/themes/${t}`, 0.1 / themes.length]);
  const pluginShare = 1 - groups.reduce((s, [, f]) => s + f, 0);
  const plugins = Math.max(3, Math.round((nCode * pluginShare) / 180));
  const weights = Array.from({ length: plugins }, () => 0.2 + r() * r() * 4);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const pluginNames = new Set<string>();
  for (const w of weights) {
    let name = `${pick(r, WORDS)}-${pick(r, WORDS)}`;
    while (pluginNames.has(name)) name = `${name}-${pick(r, WORDS)}`;
    pluginNames.add(name);
    groups.push([`${webroot}/wp-content/plugins/${name}`, (pluginShare * w) / weightSum]);
  }
  groups.forEach(([base, share], index) => {
    const count = index === groups.length - 1 ? left : Math.min(left, Math.round(nCode * share));
    left -= count;
    if (count <= 0) return;
    const dirs = makeDirs(r, base, Math.max(1, Math.round(count / 12)));
    for (let i = 0; i < count; i++) {
      const ext = pick(r, CODE_EXT);
      const stem = r() < 0.5 ? `class-${pick(r, WORDS)}-${pick(r, WORDS)}` : pick(r, WORDS);
      codeFile(pick(r, dirs), `${stem}.${ext}`);
    }
  });

  // Uploads: originals with their thumbnails, documents, a few videos and archives, dumps.
  let media = spec.files - drafts.length;
  const uploads = `${webroot}/wp-content/uploads`;
  const mediaContents: Content[] = [];
  while (media > 0) {
    const year = int(r, 2016, 2025);
    const month = String(int(r, 1, 12)).padStart(2, '0');
    const dir = `${uploads}/${year}/${month}`;
    const mtime = Date.UTC(year, Number(month) - 1, 1) / 1000 + Math.floor(r() * 28 * 86400);
    const stem = `${pick(r, WORDS)}-${pick(r, WORDS)}-${int(r, 1, 9999)}`;
    const roll = r();
    const one = (name: string, size: number, kind: Content['kind'] = 'random'): void => {
      // The same picture uploaded twice.
      let content = mediaContents.length > 20 && r() < 0.01 ? pick(r, mediaContents) : undefined;
      if (!content) {
        content = { size, kind, key: `m${drafts.length}`, media: true };
        mediaContents.push(content);
        contents.push(content);
      }
      add(content, mtime, dir, name);
      media--;
    };
    if (roll < 0.8) {
      const ext = r() < 0.85 ? 'jpg' : 'png';
      one(`${stem}.${ext}`, logUniform(r, 150_000, 4_000_000));
      const thumbs = Math.min(media, int(r, 1, THUMBS.length));
      for (let t = 0; t < thumbs; t++)
        one(`${stem}-${THUMBS[t]}.${ext}`, logUniform(r, 6_000, 90_000 * (t + 1)));
    } else if (roll < 0.9) one(`${stem}.pdf`, logUniform(r, 100_000, 6_000_000));
    else if (roll < 0.94) one(`${stem}.webp`, logUniform(r, 20_000, 600_000));
    else if (roll < 0.965) one(`${stem}.mp4`, logUniform(r, 4_000_000, 48_000_000));
    else if (roll < 0.985) one(`${stem}.zip`, logUniform(r, 2_000_000, 24_000_000));
    else one(`${stem}.sql`, logUniform(r, 2_000_000, 30_000_000), 'text');
  }

  // Scale media so the tree has exactly spec.bytes; code keeps its natural sizes unless the
  // requested total is too small to hold them.
  const total = (): number => drafts.reduce((s, d) => s + d.content.size, 0);
  const codeBytes = drafts.reduce((s, d) => s + (d.content.media ? 0 : d.content.size), 0);
  const mediaBytes = total() - codeBytes;
  const scaleAll = codeBytes > spec.bytes * 0.5 || mediaBytes === 0;
  const k = scaleAll ? spec.bytes / total() : (spec.bytes - codeBytes) / mediaBytes;
  for (const c of contents) if (scaleAll || c.media) c.size = Math.max(1, Math.round(c.size * k));
  // Rounding leaves a few bytes over or under: the largest file takes the difference, as a
  // content of its own so its copies (if any) keep their size.
  const largest = drafts.reduce((a, b) => (b.content.size > a.content.size ? b : a));
  largest.content = { ...largest.content, key: `${largest.content.key}x` };
  largest.content.size = Math.max(0, largest.content.size + spec.bytes - total());

  return drafts.map(({ path, mtime, content: { size, kind, key } }) => ({
    path,
    size,
    kind,
    key,
    mtime,
  }));
}

// ---------------------------------------------------------------------------------------------
// Writing

function writeEntry(root: string, seed: number, e: PlanEntry, mtime = e.mtime): void {
  const fd = openSync(join(root, e.path), 'w');
  try {
    if (e.kind === 'text') {
      writeSync(fd, textContent(seed, e.key, e.size));
    } else {
      const next = randomStream(seed, e.key);
      for (let left = e.size; left > 0; left -= CHUNK) writeSync(fd, next(Math.min(CHUNK, left)));
    }
    futimesSync(fd, mtime, mtime);
  } finally {
    closeSync(fd);
  }
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

function describe(dir: string, spec: DataSpec, plan: PlanEntry[], generatedIn: number): Dataset {
  const dirs = new Set(plan.map((e) => parentOf(e.path)));
  return {
    spec,
    dir,
    root: join(dir, 'tree'),
    plan,
    totalBytes: plan.reduce((s, e) => s + e.size, 0),
    textBytes: plan.filter((e) => e.kind === 'text').reduce((s, e) => s + e.size, 0),
    uniqueBytes: [...new Map(plan.map((e) => [`${e.key}:${e.size}`, e.size])).values()].reduce(
      (s, n) => s + n,
      0,
    ),
    dirs: dirs.size,
    generatedIn,
  };
}

export function datasetKey(spec: DataSpec): string {
  return `webroot-${spec.files}f-${spec.bytes}b-s${spec.seed}-g${GENERATOR_VERSION}`;
}

/** Writes the tree for `spec` into `root` (which must not exist yet). */
export function generate(root: string, spec: DataSpec, plan = makePlan(spec)): void {
  const made = new Set<string>();
  for (const e of plan) {
    const dir = parentOf(e.path);
    if (!made.has(dir)) {
      mkdirSync(join(root, dir), { recursive: true });
      made.add(dir);
    }
    writeEntry(root, spec.seed, e);
  }
}

/**
 * The dataset for `spec`, generated on first use and cached under HOSTVAULT_BENCH_DIR; a tree
 * left mutated by an interrupted run is reverted first.
 */
export function ensureDataset(spec: DataSpec, log: (line: string) => void = () => {}): Dataset {
  const base = join(benchDir(), 'data');
  const key = datasetKey(spec);
  const dir = join(base, key);
  const plan = makePlan(spec);
  if (existsSync(join(dir, 'manifest.json'))) {
    const dataset = describe(dir, spec, plan, 0);
    revert(dataset);
    return dataset;
  }
  mkdirSync(base, { recursive: true });
  // A run killed while generating leaves a temporary tree; it is incomplete, so drop it.
  for (const name of readdirSync(base))
    if (name.startsWith(`${key}.tmp-`)) rmSync(join(base, name), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  const tmp = join(base, `${key}.tmp-${process.pid}`);
  log(`generating ${spec.files} files, ${(spec.bytes / 1e6).toFixed(0)} MB into ${dir}`);
  const started = performance.now();
  generate(join(tmp, 'tree'), spec, plan);
  writeFileSync(
    join(tmp, 'manifest.json'),
    JSON.stringify({ ...spec, generator: GENERATOR_VERSION }, null, 2),
  );
  renameSync(tmp, dir);
  return describe(dir, spec, plan, (performance.now() - started) / 1000);
}

// ---------------------------------------------------------------------------------------------
// Changes between runs

interface MutationRecord {
  seed: number;
  fraction: number;
  indices: number[];
}

function openDataset(dir: string): Dataset {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as DataSpec;
  const spec = { files: manifest.files, bytes: manifest.bytes, seed: manifest.seed };
  return describe(dir, spec, makePlan(spec), 0);
}

/**
 * Edits about `fraction` of the files of the dataset at `dir` (the directory holding
 * manifest.json), deterministically for `seed`: small files get new content (an edited image
 * or page is rewritten whole), large ones a changed block in the middle, text files may grow.
 * The list is recorded first, so `revert` can undo it even after a crash. Returns the paths.
 */
export function mutate(dir: string, fraction: number, seed: number): string[] {
  const dataset = openDataset(dir);
  revert(dataset);
  const { plan, root } = dataset;
  const r = mulberry32(hash32('mutate', dataset.spec.seed, seed));
  const count = Math.max(1, Math.round(plan.length * fraction));
  const chosen = new Set<number>();
  while (chosen.size < Math.min(count, plan.length)) chosen.add(Math.floor(r() * plan.length));
  const indices = [...chosen].sort((a, b) => a - b);
  const record: MutationRecord = { seed, fraction, indices };
  writeFileSync(join(dir, 'mutated.json'), JSON.stringify(record));

  for (const index of indices) {
    const e = plan[index]!;
    const mtime = e.mtime + 30 * 86400 + int(r, 0, 86400);
    const path = join(root, e.path);
    if (e.kind === 'text' && e.size <= 4 << 20) {
      const old = readFileSync(path);
      const grow = r() < 0.5 ? int(r, 16, 400) : 0;
      const out = Buffer.allocUnsafe(old.length + grow);
      old.copy(out);
      // Replace a window in the middle (an edited function) and maybe append lines.
      const window = Math.min(old.length, int(r, 32, 2048));
      const at = int(r, 0, old.length - window);
      const patch = Buffer.allocUnsafe(window + grow);
      fillText(patch, mulberry32(hash32('edit', seed, index)), dataset.spec.seed, '');
      patch.copy(out, at, 0, window);
      patch.copy(out, old.length, window);
      writeEntryBytes(path, out, mtime);
    } else if (e.size <= 1 << 20) {
      writeEntry(root, dataset.spec.seed, { ...e, key: `${e.key}~${seed}` }, mtime);
    } else {
      const fd = openSync(path, 'r+');
      try {
        const block = Math.min(e.size, 64 << 10);
        const next = randomStream(dataset.spec.seed, `${e.key}~${seed}`);
        writeSync(fd, next(block), 0, block, int(r, 0, e.size - block));
        futimesSync(fd, mtime, mtime);
      } finally {
        closeSync(fd);
      }
    }
  }
  return indices.map((i) => plan[i]!.path);
}

function writeEntryBytes(path: string, bytes: Buffer, mtime: number): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, bytes);
    futimesSync(fd, mtime, mtime);
  } finally {
    closeSync(fd);
  }
}

/** Restores the files a previous `mutate` changed, from the plan: byte for byte and mtime. */
export function revert(dataset: Dataset): number {
  const marker = join(dataset.dir, 'mutated.json');
  if (!existsSync(marker)) return 0;
  const record = JSON.parse(readFileSync(marker, 'utf8')) as MutationRecord;
  for (const index of record.indices) {
    const e = dataset.plan[index];
    if (e) writeEntry(dataset.root, dataset.spec.seed, e);
  }
  rmSync(marker);
  return record.indices.length;
}

/** SHA-256 over every file's path and bytes in plan order: proves reproducibility. */
export function treeDigest(dataset: Pick<Dataset, 'root' | 'plan'>): string {
  const hash = createHash('sha256');
  for (const e of dataset.plan)
    hash
      .update(e.path)
      .update('\0')
      .update(readFileSync(join(dataset.root, e.path)));
  return hash.digest('hex');
}
