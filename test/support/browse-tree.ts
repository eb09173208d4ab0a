/**
 * Seeded generator of big browse trees for tests and the browse benchmark: N entries with a
 * web-root-like fan-out (a few hundred top-level directories, 0–40 files per directory, depth up
 * to about ten) plus one very large directory, as an uploads folder gets. Almost every file is
 * empty, a few hold a handful of bytes: a browse index cares about entries, not content, and
 * zero-byte files cost one create per entry, so a million entries take well under a minute.
 *
 * A tree is generated once per (root, spec): a marker next to the root records the spec, and a
 * second call with the same spec returns at once. Keep roots under /var/tmp or a temp dir, never
 * inside the repository.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Bump when the output changes, so cached trees of the old layout are not reused. */
const GENERATOR_VERSION = 1;

export interface BrowseTreeSpec {
  /** Entries below the root (directories and files), the root itself not counted. */
  entries: number;
  seed?: number;
  /** Entries of the one large directory (`big-uploads/`); default min(100,000, entries / 10). */
  bigDirEntries?: number;
  /** Share of files that get a few bytes instead of none (default 0.05). */
  tinyFileShare?: number;
}

export interface BrowseTree {
  root: string;
  entries: number;
  dirs: number;
  files: number;
  /** Relative paths of every directory ('' is the root), one a line: for picking samples. */
  dirsFile: string;
  /** Relative path of the large directory. */
  bigDir: string;
  /** Seconds spent generating, 0 when a cached tree was reused. */
  generatedIn: number;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DIR_WORDS = [
  'wp-content',
  'plugins',
  'themes',
  'uploads',
  'includes',
  'assets',
  'vendor',
  'src',
  'lib',
  'css',
  'js',
  'images',
  'languages',
  'templates',
  'cache',
  'blocks',
  'widgets',
  'admin',
  'public',
  'fonts',
];
const FILE_WORDS = ['index', 'class', 'style', 'script', 'functions', 'template', 'readme', 'logo'];
const EXTENSIONS = ['.php', '.php', '.php', '.js', '.css', '.png', '.jpg', '.json', '.txt', '.svg'];

/** Generates (or reuses) a tree of `spec.entries` entries under `root`. */
export async function generateBrowseTree(root: string, spec: BrowseTreeSpec): Promise<BrowseTree> {
  const full = {
    entries: spec.entries,
    seed: spec.seed ?? 1,
    bigDirEntries: spec.bigDirEntries ?? Math.min(100_000, Math.floor(spec.entries / 10)),
    tinyFileShare: spec.tinyFileShare ?? 0.05,
    version: GENERATOR_VERSION,
  };
  const marker = `${root}.tree.json`;
  const key = JSON.stringify(full);
  if (existsSync(marker) && existsSync(root)) {
    const saved = JSON.parse(readFileSync(marker, 'utf8')) as { key: string; tree: BrowseTree };
    if (saved.key === key) return { ...saved.tree, generatedIn: 0 };
  }
  rmSync(marker, { force: true });
  rmSync(root, { recursive: true, force: true });
  const started = process.hrtime.bigint();

  const random = mulberry32(full.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  mkdirSync(dirname(root), { recursive: true });
  const dirsFile = `${root}.dirs.txt`;
  const dirsOut = openSync(dirsFile, 'w');
  let dirLines: string[] = [];
  const flushDirs = (): void => {
    if (dirLines.length) writeSync(dirsOut, dirLines.join('\n') + '\n');
    dirLines = [];
  };

  let made = 0;
  let dirs = 0;
  let files = 0;
  const mkdir = (rel: string): void => {
    mkdirSync(join(root, rel));
    dirs++;
    made++;
    dirLines.push(rel);
    if (dirLines.length >= 4096) flushDirs();
  };
  const touch = (rel: string): void => {
    const fd = openSync(join(root, rel), 'w');
    if (random() < full.tinyFileShare) writeSync(fd, `${made}\n`);
    closeSync(fd);
    files++;
    made++;
  };

  mkdirSync(root, { recursive: true });
  dirLines.push('');
  const bigDir = 'big-uploads';
  const big = Math.min(full.bigDirEntries, Math.max(0, full.entries - 1));
  if (big > 0) {
    mkdir(bigDir);
    for (let i = 0; i < big; i++) touch(`${bigDir}/img-${String(i).padStart(6, '0')}.jpg`);
  }

  // Breadth first, so the tree gets wide before it gets deep; a queue of directory paths is the
  // only state, a few MB for a million entries.
  const queue: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }];
  let head = 0;
  while (made < full.entries) {
    const item = queue[head++];
    // An exhausted queue (every directory drew no subdirectory) restarts from the root.
    const { rel, depth } = item ?? { rel: '', depth: 0 };
    if (!item) {
      queue.length = 0;
      head = 0;
    }
    const prefix = rel ? `${rel}/` : '';
    const tag = item ? '' : `-r${made}`;
    const subdirs = depth === 0 ? 300 : depth < 9 ? Math.floor(random() * (depth < 4 ? 6 : 4)) : 0;
    const fileCount = Math.floor(random() * random() * 41);
    for (let i = 0; i < fileCount && made < full.entries; i++) {
      touch(`${prefix}${pick(FILE_WORDS)}-${i}${tag}${pick(EXTENSIONS)}`);
    }
    for (let i = 0; i < subdirs && made < full.entries; i++) {
      const name = `${pick(DIR_WORDS)}-${depth}-${i}${tag}`;
      mkdir(prefix + name);
      queue.push({ rel: prefix + name, depth: depth + 1 });
    }
    if (head > 65_536) {
      queue.splice(0, head);
      head = 0;
    }
  }
  flushDirs();
  closeSync(dirsOut);

  const tree: BrowseTree = {
    root,
    entries: made,
    dirs,
    files,
    dirsFile,
    bigDir,
    generatedIn: Number(process.hrtime.bigint() - started) / 1e9,
  };
  await writeFile(marker, JSON.stringify({ key, tree }));
  return tree;
}
