/**
 * A WordPress-like web root: core, themes and plugins as nested trees of small PHP, JS, CSS and
 * template files, uploads by year and month with thumbnails, and a few media files of several MB.
 *
 * Core, themes and plugins are seeded by their own name, not by the customer, so two customers
 * running the same plugin have the same bytes there, as on a real server (what a server-wide
 * repository deduplicates). Uploads, media and wp-config.php are the customer's own.
 */
import {
  lazyBinary,
  css,
  html,
  js,
  json,
  php,
  po,
  sentence,
  title,
  word,
  WORDS,
} from './content.js';
import { lazyText, type LazyBytes } from './content.js';
import { Rng } from './random.js';
import type { Owner, Planned } from './tree.js';

type Kind = 'php' | 'js' | 'css' | 'html' | 'json' | 'po' | 'png' | 'svg' | 'woff2' | 'mo';

interface Component {
  /** Where it goes in the web root. */
  base: string;
  /** How many generated files (a .js file brings its .min.js along). */
  files: number;
  /** Top-level directories and the kinds of file they hold. */
  dirs: Record<string, Kind[]>;
  /** When its files were last updated (seconds). */
  released: number;
}

const day = 86_400;
const at = (iso: string) => Math.floor(Date.parse(iso) / 1000);

const CORE: Component = {
  base: '',
  files: 1450,
  released: at('2025-09-30T14:00:00Z'),
  dirs: {
    'wp-admin': ['php'],
    'wp-admin/css': ['css'],
    'wp-admin/js': ['js'],
    'wp-admin/images': ['png', 'svg'],
    'wp-admin/includes': ['php'],
    'wp-admin/network': ['php'],
    'wp-admin/user': ['php'],
    'wp-includes': ['php'],
    'wp-includes/js': ['js'],
    'wp-includes/js/dist': ['js'],
    'wp-includes/js/tinymce/plugins': ['js'],
    'wp-includes/css/dist': ['css'],
    'wp-includes/blocks': ['json', 'css', 'php'],
    'wp-includes/rest-api/endpoints': ['php'],
    'wp-includes/SimplePie/src': ['php'],
    'wp-includes/Requests/src': ['php'],
    'wp-includes/sodium_compat/src/Core': ['php'],
    'wp-includes/fonts': ['woff2', 'css'],
    'wp-includes/images/smilies': ['png', 'svg'],
    'wp-includes/html-api': ['php'],
  },
};

const THEMES: Record<string, Component> = {
  twentytwentyfive: theme('twentytwentyfive', 160, '2025-08-05'),
  twentytwentyfour: theme('twentytwentyfour', 140, '2024-11-12'),
  astra: theme('astra', 420, '2025-10-01'),
};

const PLUGINS: Record<string, Component> = {
  akismet: plugin('akismet', 35, '2025-07-15', {
    '': ['php'],
    views: ['php'],
    _inc: ['js', 'css'],
  }),
  'contact-form-7': plugin('contact-form-7', 170, '2025-09-02', {
    '': ['php'],
    includes: ['php', 'js', 'css'],
    modules: ['php', 'js'],
    admin: ['php', 'css', 'js'],
    languages: ['po', 'mo'],
  }),
  'classic-editor': plugin('classic-editor', 20, '2025-03-10', { '': ['php'], js: ['js'] }),
  woocommerce: plugin('woocommerce', 1450, '2025-10-21', {
    '': ['php'],
    includes: ['php'],
    'includes/admin': ['php'],
    src: ['php'],
    templates: ['php'],
    'assets/js': ['js'],
    'assets/css': ['css'],
    'assets/images': ['png', 'svg'],
    packages: ['php', 'json'],
    vendor: ['php'],
    i18n: ['php', 'json'],
  }),
  wordfence: plugin('wordfence', 560, '2025-10-08', {
    '': ['php'],
    lib: ['php'],
    modules: ['php', 'js'],
    css: ['css'],
    js: ['js'],
    images: ['png', 'svg'],
    vendor: ['php'],
  }),
  'wordpress-seo': plugin('wordpress-seo', 780, '2025-10-14', {
    '': ['php'],
    src: ['php'],
    admin: ['php'],
    inc: ['php'],
    js: ['js'],
    css: ['css'],
    lib: ['php'],
    vendor: ['php'],
  }),
  elementor: plugin('elementor', 1100, '2025-10-20', {
    '': ['php'],
    core: ['php'],
    includes: ['php'],
    modules: ['php', 'js'],
    assets: ['js', 'css', 'svg'],
    app: ['php', 'js'],
    vendor: ['php'],
  }),
  'wpforms-lite': plugin('wpforms-lite', 380, '2025-09-25', {
    '': ['php'],
    src: ['php'],
    includes: ['php'],
    assets: ['js', 'css', 'png'],
    templates: ['php', 'html'],
  }),
};

function theme(name: string, files: number, released: string): Component {
  return {
    base: `wp-content/themes/${name}`,
    files,
    released: at(`${released}T10:00:00Z`),
    dirs: {
      '': ['php'],
      templates: ['html'],
      parts: ['html'],
      patterns: ['php'],
      styles: ['json'],
      'assets/css': ['css'],
      'assets/js': ['js'],
      'assets/fonts': ['woff2'],
      'assets/images': ['png', 'svg'],
    },
  };
}

function plugin(
  name: string,
  files: number,
  released: string,
  dirs: Record<string, Kind[]>,
): Component {
  return { base: `wp-content/plugins/${name}`, files, released: at(`${released}T10:00:00Z`), dirs };
}

export interface MediaFile {
  /** Relative to wp-content/uploads. */
  path: string;
  bytes: number;
}

export interface WebRootSpec {
  customer: string;
  siteName: string;
  domain: string;
  owner: Owner;
  themes: (keyof typeof THEMES)[];
  plugins: (keyof typeof PLUGINS)[];
  /** Original images in uploads (each with four thumbnails). */
  images: number;
  media: MediaFile[];
  /** Written into wp-config.php. */
  database?: { name: string; user: string; password: string };
  /** Customer-specific randomness (salts, uploads). */
  seed: string;
}

const ROOT: Owner = { uid: 0, gid: 0 };

/** The plan of a web root, relative to it. */
export function planWebRoot(spec: WebRootSpec): Planned[] {
  const plan = new Map<string, Planned>();
  const owner = spec.owner;
  const dir = (path: string, mtime: number, mode = 0o755) => {
    const parts = path === '' ? [] : path.split('/');
    for (let i = 0; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (!plan.has(p)) plan.set(p, { type: 'dir', path: p, mode, mtime, ...owner });
    }
  };
  const file = (
    path: string,
    content: Buffer | LazyBytes | string,
    mtime: number,
    mode = 0o644,
    who = owner,
  ) => {
    dir(parentOf(path), mtime);
    plan.set(path, {
      type: 'file',
      path,
      mode,
      mtime,
      content: typeof content === 'string' ? lazyText(content) : content,
      ...who,
    });
  };

  const installed = at('2024-03-18T09:30:00Z');
  dir('', installed, 0o750);

  // Core entry points at the root, then generated core, themes and plugins.
  const coreRng = new Rng('wp-core');
  for (const name of ROOT_PHP) {
    file(
      name,
      php(new Rng(`wp-core:${name}`), coreRng.logInt(400, 6000), 'WordPress'),
      CORE.released,
    );
  }
  file('license.txt', licenseText(), CORE.released);
  file(
    'readme.html',
    `<!DOCTYPE html>\n<html lang="en">\n<head><title>WordPress &rsaquo; ReadMe</title></head>\n<body>\n${Array.from({ length: 40 }, (_, i) => `<p>${sentence(new Rng(`readme:${i}`))}</p>`).join('\n')}\n</body>\n</html>\n`,
    CORE.released,
  );
  file('favicon.ico', lazyBinary('wp-core:favicon', 'ico', 1150), installed);
  generate(CORE, 'WordPress', file);
  for (const name of spec.themes) generate(THEMES[name]!, title(new Rng(name), 1), file);
  for (const name of spec.plugins) generate(PLUGINS[name]!, name, file);
  file('wp-content/index.php', '<?php\n// Silence is golden.\n', CORE.released);
  dir('wp-content/upgrade', installed);
  dir('wp-content/languages/plugins', installed);
  file('wp-content/languages/de_DE.po', po(new Rng('wp-core:de_DE'), 120_000), CORE.released);
  file(
    'wp-content/languages/de_DE.mo',
    lazyBinary('wp-core:de_DE.mo', 'mo', 95_000),
    CORE.released,
  );

  // The customer's own: configuration, rewrite rules, uploads and media.
  const rng = new Rng(`web:${spec.seed}`);
  file('wp-config.php', wpConfig(spec, rng), installed + 600, 0o640);
  file('.htaccess', HTACCESS, installed + 900);
  file(
    'robots.txt',
    `User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\nSitemap: https://${spec.domain}/wp-sitemap.xml\n`,
    installed + 900,
  );
  // Written by the panel, not by the customer: owned by root, like on a managed server.
  file(
    '.user.ini',
    `; managed by the hosting panel\nmemory_limit = 256M\nupload_max_filesize = 64M\npost_max_size = 64M\nmax_execution_time = 120\n`,
    installed,
    0o644,
    ROOT,
  );

  const months: string[] = [];
  for (let m = 0; m < 20; m++) {
    const d = new Date(Date.UTC(2024, 3 + m, 1));
    months.push(`${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
  }
  for (let i = 0; i < spec.images; i++) {
    const month = months[Math.floor((i * months.length) / spec.images)]!;
    const when = at(`${month.replace('/', '-')}-01T08:00:00Z`) + rng.int(0, 27 * day);
    const name = `${word(rng)}-${word(rng)}-${rng.int(1, 999)}`;
    const base = `wp-content/uploads/${month}/${name}`;
    file(
      `${base}.jpg`,
      lazyBinary(`${spec.seed}:${base}`, 'jpg', rng.logInt(90_000, 900_000)),
      when,
    );
    for (const [w, h, kb] of THUMBS) {
      file(
        `${base}-${w}x${h}.jpg`,
        lazyBinary(`${spec.seed}:${base}:${w}`, 'jpg', rng.int(kb / 2, kb) * 1024),
        when + 2,
      );
    }
  }
  for (const media of spec.media) {
    const ext = media.path.slice(media.path.lastIndexOf('.') + 1);
    const path = `wp-content/uploads/${media.path}`;
    file(
      path,
      lazyBinary(`${spec.seed}:${path}`, ext, media.bytes),
      at('2025-06-01T12:00:00Z') + rng.int(0, 120 * day),
    );
  }
  // A relative link inside the web root, as some plugins make.
  const latest = months[months.length - 1]!;
  plan.set('wp-content/uploads/latest', {
    type: 'symlink',
    path: 'wp-content/uploads/latest',
    target: latest,
    mtime: installed,
    ...owner,
  });
  return [...plan.values()];
}

const THUMBS: [number, number, number][] = [
  [150, 150, 12],
  [300, 200, 30],
  [768, 512, 90],
  [1024, 683, 160],
];

const ROOT_PHP = [
  'index.php',
  'wp-activate.php',
  'wp-blog-header.php',
  'wp-comments-post.php',
  'wp-cron.php',
  'wp-links-opml.php',
  'wp-load.php',
  'wp-login.php',
  'wp-mail.php',
  'wp-settings.php',
  'wp-signup.php',
  'wp-trackback.php',
  'xmlrpc.php',
];

type AddFile = (
  path: string,
  content: Buffer | LazyBytes | string,
  mtime: number,
  mode?: number,
) => void;

/** A component's files, spread over nested directories under its top-level ones. */
function generate(component: Component, pkg: string, file: AddFile): void {
  const rng = new Rng(`component:${component.base}`);
  const tops = Object.entries(component.dirs);
  // Grow a few levels of subdirectories under each top-level directory.
  const dirs: { path: string; kinds: Kind[] }[] = [];
  for (const [top, kinds] of tops) {
    dirs.push({ path: top, kinds });
    const children = rng.int(0, 4);
    for (let i = 0; i < children; i++) {
      const child = join(top, rng.pick(WORDS));
      dirs.push({ path: child, kinds });
      if (rng.chance(0.4)) dirs.push({ path: join(child, rng.pick(WORDS)), kinds });
      if (rng.chance(0.15))
        dirs.push({ path: join(child, `${rng.pick(WORDS)}/${rng.pick(WORDS)}`), kinds });
    }
  }
  const used = new Set<string>();
  let count = 0;
  while (count < component.files) {
    const { path: d, kinds } = rng.pick(dirs);
    const kind = rng.pick(kinds);
    const stem =
      kind === 'php' && rng.chance(0.4)
        ? `class-${word(rng)}-${word(rng)}`
        : `${word(rng)}-${word(rng)}`;
    const name = `${stem}.${kind}`;
    const rel = join(component.base, join(d, name));
    if (used.has(rel)) continue;
    used.add(rel);
    const fileRng = new Rng(`file:${rel}`);
    const mtime = component.released - rng.int(0, 400) * day + rng.int(0, day);
    switch (kind) {
      case 'php':
        file(rel, php(fileRng, fileRng.logInt(300, 40_000), pkg), mtime);
        break;
      case 'js':
        file(rel, js(fileRng, fileRng.logInt(400, 60_000), false), mtime);
        file(
          rel.replace(/\.js$/, '.min.js'),
          js(new Rng(`file:${rel}`), fileRng.logInt(400, 60_000), true),
          mtime,
        );
        count++;
        break;
      case 'css':
        file(rel, css(fileRng, fileRng.logInt(200, 30_000)), mtime);
        break;
      case 'html':
        file(rel, html(fileRng, fileRng.logInt(300, 8_000)), mtime);
        break;
      case 'json':
        file(rel, json(fileRng, stem), mtime);
        break;
      case 'po':
        file(rel, po(fileRng, fileRng.logInt(2_000, 60_000)), mtime);
        break;
      case 'svg':
        file(
          rel,
          `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M${fileRng.int(0, 24)} ${fileRng.int(0, 24)}h${fileRng.int(1, 20)}v${fileRng.int(1, 20)}H${fileRng.int(0, 9)}z"/></svg>\n`,
          mtime,
        );
        break;
      default:
        file(rel, lazyBinary(`file:${rel}`, kind, fileRng.logInt(300, 60_000)), mtime);
    }
    count++;
  }
}

function wpConfig(spec: WebRootSpec, rng: Rng): string {
  const db = spec.database ?? { name: `${spec.customer}_wp`, user: spec.customer, password: '' };
  const salt = () =>
    Buffer.from(Array.from({ length: 48 }, () => rng.int(33, 126)))
      .toString('latin1')
      .replaceAll("'", '~')
      .replaceAll('\\', '/');
  const keys = [
    'AUTH_KEY',
    'SECURE_AUTH_KEY',
    'LOGGED_IN_KEY',
    'NONCE_KEY',
    'AUTH_SALT',
    'SECURE_AUTH_SALT',
    'LOGGED_IN_SALT',
    'NONCE_SALT',
  ];
  return (
    `<?php\n/** ${spec.siteName}: WordPress configuration, written by the hosting panel. */\n\n` +
    `define( 'DB_NAME', '${db.name}' );\ndefine( 'DB_USER', '${db.user}' );\ndefine( 'DB_PASSWORD', '${db.password}' );\n` +
    `define( 'DB_HOST', 'localhost' );\ndefine( 'DB_CHARSET', 'utf8mb4' );\ndefine( 'DB_COLLATE', '' );\n\n` +
    keys.map((k) => `define( '${k}', '${salt()}' );`).join('\n') +
    `\n\n$table_prefix = 'wp_';\n\ndefine( 'WP_DEBUG', false );\ndefine( 'WP_HOME', 'https://${spec.domain}' );\n` +
    `define( 'WP_SITEURL', 'https://${spec.domain}' );\n\nif ( ! defined( 'ABSPATH' ) ) {\n\tdefine( 'ABSPATH', __DIR__ . '/' );\n}\n\nrequire_once ABSPATH . 'wp-settings.php';\n`
  );
}

const HTACCESS = `# BEGIN WordPress
<IfModule mod_rewrite.c>
RewriteEngine On
RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]
RewriteBase /
RewriteRule ^index\\.php$ - [L]
RewriteCond %{REQUEST_FILENAME} !-f
RewriteCond %{REQUEST_FILENAME} !-d
RewriteRule . /index.php [L]
</IfModule>
# END WordPress
`;

function licenseText(): string {
  const rng = new Rng('wp-core:license');
  const lines = [
    'WordPress - Web publishing software',
    '',
    'Copyright 2011-2025 by the contributors',
    '',
  ];
  for (let i = 0; i < 300; i++) lines.push(sentence(rng));
  return `${lines.join('\n')}\n`;
}

function join(a: string, b: string): string {
  return a === '' ? b : b === '' ? a : `${a}/${b}`;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i);
}

export type ThemeName = keyof typeof THEMES;
export type PluginName = keyof typeof PLUGINS;
