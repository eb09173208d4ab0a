/**
 * Plausible file contents for the demo layout: PHP, JavaScript, CSS, templates and translations
 * that look like a WordPress installation, and binary files with the right magic numbers. Every
 * generator takes its own Rng, so a file's bytes depend only on its seed.
 */
import type { Rng } from './random.js';
import { randomBytesFor } from './random.js';

export const WORDS = [
  'post',
  'meta',
  'query',
  'user',
  'term',
  'taxonomy',
  'comment',
  'option',
  'cache',
  'rest',
  'block',
  'editor',
  'theme',
  'plugin',
  'media',
  'image',
  'upload',
  'widget',
  'menu',
  'nav',
  'admin',
  'settings',
  'site',
  'network',
  'cron',
  'http',
  'request',
  'response',
  'session',
  'auth',
  'cookie',
  'nonce',
  'capability',
  'role',
  'template',
  'style',
  'script',
  'asset',
  'font',
  'pattern',
  'layout',
  'format',
  'filter',
  'action',
  'hook',
  'sitemap',
  'feed',
  'embed',
  'oembed',
  'shortcode',
  'gallery',
  'attachment',
  'revision',
  'autosave',
  'preview',
  'customize',
  'control',
  'section',
  'panel',
  'setting',
  'locale',
  'translation',
  'mail',
  'payment',
  'order',
  'product',
  'cart',
  'checkout',
  'shipping',
  'tax',
  'coupon',
  'stock',
  'report',
  'analytics',
  'form',
  'field',
  'validation',
  'captcha',
  'firewall',
  'scan',
  'schema',
  'breadcrumb',
  'redirect',
  'canonical',
  'social',
  'share',
  'importer',
  'exporter',
  'migration',
  'upgrade',
  'installer',
  'dashboard',
  'notice',
  'list',
  'table',
  'screen',
  'help',
  'tab',
  'color',
  'palette',
  'spacing',
  'typography',
  'border',
  'shadow',
  'duotone',
  'position',
  'dimensions',
  'elements',
  'global',
  'router',
  'store',
  'data',
  'api',
  'fetch',
  'url',
  'dom',
  'compose',
  'element',
  'components',
  'primitives',
  'a11y',
  'viewport',
  'wordcount',
  'date',
  'html',
  'entities',
  'escape',
  'blob',
  'keyboard',
  'shortcuts',
  'preferences',
  'commands',
  'patterns',
  'queue',
  'token',
  'parser',
  'walker',
  'sanitize',
];

const GERMAN = [
  'Bestellung',
  'Lieferung',
  'Rechnung',
  'Größe',
  'Grüße',
  'Brötchen',
  'Käsekuchen',
  'Öffnungszeiten',
  'Straße',
  'Übersicht',
  'Änderung',
  'Bestätigung',
  'Zahlung',
  'Kundennummer',
  'Rückfrage',
  'Angebot',
  'Termin',
  'Besprechung',
  'Fahrrad',
  'Werkstatt',
  'Ersatzteil',
  'Garantie',
  'café',
  'crème brûlée',
  'naïve',
  'Ångström',
  '日本語',
  'emoji ☕',
  'señor',
  'Zürich',
];

export function word(rng: Rng): string {
  return rng.pick(WORDS);
}

export function ident(rng: Rng, parts = 2, sep = '_'): string {
  const out: string[] = [];
  for (let i = 0; i < parts; i++) out.push(word(rng).replaceAll('-', sep));
  return out.join(sep);
}

export function title(rng: Rng, words = 3): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    const w = word(rng);
    out.push(w[0]!.toUpperCase() + w.slice(1));
  }
  return out.join(' ');
}

export function sentence(rng: Rng, german = false): string {
  const n = rng.int(6, 16);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(german && rng.chance(0.3) ? rng.pick(GERMAN) : word(rng));
  const s = out.join(' ');
  return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
}

function fill(rng: Rng, target: number, head: string, block: () => string, tail = ''): string {
  const parts = [head];
  let size = head.length + tail.length;
  while (size < target) {
    const b = block();
    parts.push(b);
    size += b.length;
  }
  parts.push(tail);
  return parts.join('');
}

export function php(rng: Rng, target: number, pkg: string): string {
  const head =
    `<?php\n/**\n * ${title(rng)}\n *\n * ${sentence(rng)}\n *\n * @package ${pkg}\n` +
    ` * @since ${rng.int(2, 6)}.${rng.int(0, 9)}.${rng.int(0, 4)}\n */\n\n` +
    `if ( ! defined( 'ABSPATH' ) ) {\n\texit;\n}\n\n`;
  return fill(rng, target, head, () => {
    const fn = `wp_${ident(rng)}`;
    const a = word(rng);
    const b = word(rng);
    if (rng.chance(0.3)) {
      return (
        `class WP_${title(rng, 2).replace(' ', '_')} {\n\n\t/**\n\t * ${sentence(rng)}\n\t *\n\t * @var array\n\t */\n` +
        `\tprotected $${a}s = array();\n\n\tpublic function get_${a}( $${b}_id ) {\n` +
        `\t\tif ( isset( $this->${a}s[ $${b}_id ] ) ) {\n\t\t\treturn $this->${a}s[ $${b}_id ];\n\t\t}\n` +
        `\t\treturn apply_filters( '${pkg.toLowerCase()}_${a}', null, $${b}_id );\n\t}\n}\n\n`
      );
    }
    return (
      `/**\n * ${sentence(rng)}\n *\n * @param int|WP_${title(rng, 1)} $${a} ${sentence(rng)}\n * @return bool\n */\n` +
      `function ${fn}( $${a}, $${b} = null ) {\n\t$${word(rng)} = apply_filters( '${fn}', $${a}, $${b} );\n` +
      `\tif ( empty( $${a} ) || is_wp_error( $${a} ) ) {\n\t\treturn false;\n\t}\n` +
      `\tdo_action( '${ident(rng)}', $${a} );\n\treturn (bool) ${ident(rng)}( $${a}, ${rng.int(0, 999)} );\n}\n\n`
    );
  });
}

export function js(rng: Rng, target: number, minified: boolean): string {
  const body = fill(
    rng,
    target,
    `/*! ${title(rng)} */\n(function ($, wp) {\n\t'use strict';\n`,
    () => {
      const a = ident(rng, 2, '');
      return (
        `\tvar ${a} = function (${word(rng)}, ${word(rng)}Options) {\n` +
        `\t\tif (!${word(rng)}Options) { return null; }\n` +
        `\t\treturn wp.${word(rng)}.${word(rng)}('${ident(rng, 2, '-')}', { count: ${rng.int(0, 500)}, label: '${title(rng, 2)}' });\n\t};\n` +
        `\t$(document).on('click', '.${ident(rng, 2, '-')}', ${a});\n`
      );
    },
    `})(jQuery, window.wp);\n`,
  );
  return minified ? body.replace(/\s*\n\s*/g, '').replace(/\s{2,}/g, ' ') + '\n' : body;
}

export function css(rng: Rng, target: number): string {
  return fill(rng, target, `/* ${title(rng)} */\n`, () => {
    const hex = rng.int(0, 0xffffff).toString(16).padStart(6, '0');
    return (
      `.wp-${ident(rng, 2, '-')} .${word(rng)}-${word(rng)} {\n\tmargin: 0 ${rng.int(0, 48)}px;\n` +
      `\tpadding: ${rng.int(0, 3)}em;\n\tcolor: #${hex};\n\tdisplay: ${rng.pick(['block', 'flex', 'grid', 'none'])};\n}\n\n`
    );
  });
}

export function html(rng: Rng, target: number): string {
  return fill(rng, target, '', () => {
    const kind = rng.pick(['group', 'columns', 'cover', 'paragraph', 'heading', 'query']);
    return (
      `<!-- wp:${kind} {"layout":{"type":"constrained"},"className":"${ident(rng, 2, '-')}"} -->\n` +
      `<div class="wp-block-${kind}"><p>${sentence(rng, true)}</p></div>\n<!-- /wp:${kind} -->\n\n`
    );
  });
}

export function po(rng: Rng, target: number): string {
  const head =
    `msgid ""\nmsgstr ""\n"Project-Id-Version: WordPress\\n"\n"Language: de_DE\\n"\n` +
    `"MIME-Version: 1.0\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n`;
  return fill(rng, target, head, () => {
    return `#: ${ident(rng, 2, '-')}.php:${rng.int(1, 900)}\nmsgid "${sentence(rng)}"\nmsgstr "${sentence(rng, true)}"\n\n`;
  });
}

export function json(rng: Rng, name: string): string {
  return (
    JSON.stringify(
      {
        $schema: 'https://schemas.wp.org/trunk/block.json',
        apiVersion: 3,
        name: `core/${name}`,
        title: title(rng, 2),
        category: rng.pick(['text', 'media', 'design', 'widgets', 'theme', 'embed']),
        description: sentence(rng),
        textdomain: 'default',
        attributes: Object.fromEntries(
          Array.from({ length: rng.int(1, 6) }, () => [
            word(rng),
            { type: rng.pick(['string', 'boolean', 'number']) },
          ]),
        ),
        supports: { anchor: rng.chance(0.5), html: false, spacing: { margin: true } },
        editorStyle: `wp-block-${name}-editor`,
        style: `wp-block-${name}`,
      },
      null,
      '\t',
    ) + '\n'
  );
}

const MAGIC: Record<string, Buffer> = {
  png: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
  jpg: Buffer.from('ffd8ffe000104a46494600010101004800480000', 'hex'),
  gif: Buffer.from('GIF89a'),
  woff2: Buffer.from('wOF2'),
  mo: Buffer.from('de120495', 'hex'),
  ico: Buffer.from('00000100010010100000010020006804', 'hex'),
  mp4: Buffer.from('00000020667479706973736f6d0000020069736f6d69736f32617663316d703431', 'hex'),
  pdf: Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'),
  zip: Buffer.from('504b0304140000000800', 'hex'),
  svbin: Buffer.from('\x0aSieve binary\x0a', 'latin1'),
};

/**
 * File content made when it is written: a demo's media would otherwise be held in memory all at
 * once while its tree is synced (about 90 MB), and the service starting with `--demo` would keep
 * that memory long after (V8 collects it only under pressure, and malloc keeps what it freed).
 */
export interface LazyBytes {
  readonly length: number;
  bytes(): Buffer;
}

/** Text as the bytes of a file, made when it is written (see LazyBytes). */
export function lazyText(text: string): LazyBytes {
  return { length: Buffer.byteLength(text), bytes: () => Buffer.from(text) };
}

/** How long binary() of `size` bytes is (at least its magic number). */
export function binaryLength(ext: string, size: number): number {
  return Math.max(size, (MAGIC[ext] ?? Buffer.alloc(0)).length);
}

/** binary(), made only when asked for: a file that is already on disk never makes its bytes. */
export function lazyBinary(seed: string, ext: string, size: number): LazyBytes {
  return {
    length: binaryLength(ext, size),
    bytes: () => binary(seed, ext, size),
  };
}

/** Incompressible bytes behind the format's magic number, like real media. */
export function binary(seed: string, ext: string, size: number): Buffer {
  const magic = MAGIC[ext] ?? Buffer.alloc(0);
  const data = randomBytesFor(seed, Math.max(size, magic.length));
  magic.copy(data, 0);
  if (ext === 'jpg' && data.length > 4) data.writeUInt16BE(0xffd9, data.length - 2);
  return data;
}
