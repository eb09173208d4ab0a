/**
 * The web UI's languages (web/src/messages): German must say everything English says. A key
 * missing or empty in a language, an array of another length, or a text that drops or invents a
 * placeholder fails here, in `npm test`; the `Messages` type catches most of it at compile time,
 * this also catches empty texts and placeholders.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserLanguage, catalogs, LANGUAGES } from '../../web/src/messages/index.js';

type Node = unknown;
type Fn = (...args: unknown[]) => unknown;

/** Arguments that show in the output where a text uses them: distinct strings and numbers. */
function sentinels(count: number): unknown[] {
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? `⟦${i}⟧` : 1001 + i));
}

function shown(output: string, args: unknown[]): string[] {
  return args.map(String).filter((arg) => output.includes(arg));
}

/** The params an error text reads, and its words with each param a distinct value. */
function readParams(text: Fn): { read: string[]; words: string } {
  const read = new Set<string>();
  const params = new Proxy({} as Record<string, unknown>, {
    get: (_, key) => {
      if (typeof key === 'string') read.add(key);
      return typeof key === 'string' ? `⟦${key}⟧` : undefined;
    },
  });
  const words = String(text(params));
  return { read: [...read].sort(), words };
}

/**
 * The API names a field (`label`) in English; another language may leave it out and speak of
 * "this field", as its text shows next to the field (web/src/messages/de-errors.ts).
 */
const OPTIONAL_PARAMS = new Set(['label']);

function compare(path: string, en: Node, other: Node, language: string, errors: boolean): void {
  const where = `${language}: ${path || '(root)'}`;
  if (typeof en === 'string') {
    assert.equal(typeof other, 'string', `${where} must be a text`);
    if (path !== 'common.none') assert.ok((other as string).trim().length > 0, `${where} is empty`);
    return;
  }
  if (typeof en === 'function') {
    assert.equal(typeof other, 'function', `${where} must be a function, as in English`);
    const [enFn, otherFn] = [en as Fn, other as Fn];
    if (errors) {
      const a = readParams(enFn);
      const b = readParams(otherFn);
      assert.ok(b.words.trim().length > 0, `${where} is empty`);
      assert.deepEqual(
        b.read,
        a.read.filter((k) => !(OPTIONAL_PARAMS.has(k) && !b.read.includes(k))),
        `${where} reads other params than English`,
      );
      return;
    }
    assert.equal(otherFn.length, enFn.length, `${where} takes other arguments than English`);
    const args = sentinels(enFn.length);
    const a = String(enFn(...args));
    const b = String(otherFn(...args));
    assert.ok(b.trim().length > 0, `${where} is empty`);
    assert.deepEqual(
      shown(b, args),
      shown(a, args),
      `${where} shows other placeholders than English`,
    );
    return;
  }
  if (Array.isArray(en)) {
    assert.ok(Array.isArray(other), `${where} must be a list`);
    assert.equal((other as unknown[]).length, en.length, `${where} has another number of entries`);
    en.forEach((item, i) =>
      compare(`${path}[${i}]`, item, (other as unknown[])[i], language, errors),
    );
    return;
  }
  assert.ok(other !== null && typeof other === 'object', `${where} must be a group of texts`);
  const enKeys = Object.keys(en as object).sort();
  const otherKeys = Object.keys(other as object).sort();
  assert.deepEqual(
    enKeys.filter((k) => !otherKeys.includes(k)),
    [],
    `${where}: keys missing in ${language}`,
  );
  assert.deepEqual(
    otherKeys.filter((k) => !enKeys.includes(k)),
    [],
    `${where}: keys in ${language} that English does not have`,
  );
  for (const key of enKeys) {
    const child = path ? `${path}.${key}` : key;
    compare(
      child,
      (en as Record<string, Node>)[key],
      (other as Record<string, Node>)[key],
      language,
      errors || child === 'errors.byCode',
    );
  }
}

test('every language has every text of the English catalog, none empty, with the same placeholders', () => {
  for (const language of LANGUAGES) {
    if (language === 'en') continue;
    compare('', catalogs.en, catalogs[language], language, false);
  }
});

test('the check finds a missing, an empty and a changed text', () => {
  const withParts = (patch: Record<string, unknown>) => ({ ...catalogs.de, ...patch });
  assert.throws(
    () => compare('', catalogs.en, withParts({ schedules: {} }), 'de', false),
    /schedules: keys missing in de/,
  );
  assert.throws(
    () =>
      compare('', catalogs.en, withParts({ app: { ...catalogs.de.app, title: ' ' } }), 'de', false),
    /app\.title is empty/,
  );
  assert.throws(
    () =>
      compare(
        '',
        catalogs.en,
        withParts({
          app: {
            ...catalogs.de.app,
            signedInAs: (name: string) => `Angemeldet als ${name.slice(1)}`,
          },
        }),
        'de',
        false,
      ),
    /app\.signedInAs shows other placeholders/,
  );
  assert.throws(
    () =>
      compare(
        '',
        catalogs.en,
        withParts({
          errors: {
            ...catalogs.de.errors,
            byCode: { ...catalogs.de.errors.byCode, 'request.too_large': () => 'Zu groß.' },
          },
        }),
        'de',
        false,
      ),
    /request\.too_large reads other params/,
  );
});

test('the browser chooses German for any de tag first among German and English', () => {
  assert.equal(browserLanguage(['de-DE', 'en-US']), 'de');
  assert.equal(browserLanguage(['de-AT']), 'de');
  assert.equal(browserLanguage(['fr-FR', 'de']), 'de');
  assert.equal(browserLanguage(['en-GB', 'de-DE']), 'en');
  assert.equal(browserLanguage(['fr-FR']), 'en');
  assert.equal(browserLanguage([]), 'en');
});
