/**
 * The message catalog in use: German or English. The browser's languages choose at first
 * (de* → German, anything else → English); the header's switch overrides that and is remembered
 * in localStorage.
 *
 * `m` always reads the active catalog, so components keep writing `m.schedules.new`; a switch
 * remounts the page (main.tsx keys it by `useLanguage()`), so every text is read again.
 */
import { useSyncExternalStore } from 'react';
import { de } from './de.js';
import { en, type Messages } from './en.js';
import type { ErrorParams } from './en-errors.js';

export type { Messages };
export type { ErrorParams, ErrorTexts } from './en-errors.js';

export const LANGUAGES = ['de', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const catalogs: Readonly<Record<Language, Messages>> = { de, en };

const STORAGE_KEY = 'hostvault.language';

/** German when the browser's first German-or-English preference is German; English otherwise. */
export function browserLanguage(languages: readonly string[]): Language {
  for (const tag of languages) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'de') return 'de';
    if (primary === 'en') return 'en';
  }
  return 'en';
}

function isLanguage(value: unknown): value is Language {
  return (LANGUAGES as readonly unknown[]).includes(value);
}

function storedLanguage(): Language | null {
  try {
    const value = globalThis.localStorage?.getItem(STORAGE_KEY);
    return isLanguage(value) ? value : null;
  } catch {
    // Storage can be off (private mode, policies): the browser's languages still choose.
    return null;
  }
}

function initialLanguage(): Language {
  const navigator = globalThis.navigator as Navigator | undefined;
  return (
    storedLanguage() ??
    browserLanguage(
      navigator?.languages?.length ? navigator.languages : [navigator?.language ?? ''],
    )
  );
}

let language: Language = initialLanguage();
const listeners = new Set<() => void>();

function applyToDocument(): void {
  if (typeof document !== 'undefined') document.documentElement.lang = language;
}
applyToDocument();

export function currentLanguage(): Language {
  return language;
}

/** Switches the catalog, remembers the choice and tells `useLanguage` readers to render again. */
export function setLanguage(next: Language): void {
  if (next === language) return;
  language = next;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, next);
  } catch {
    // Not remembered across reloads, but this page still switches.
  }
  applyToDocument();
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useLanguage(): Language {
  return useSyncExternalStore(subscribe, currentLanguage, currentLanguage);
}

/** The active catalog; each property read goes to the current language's. */
export const m: Messages = new Proxy({} as Messages, {
  get: (_, key) => catalogs[language][key as keyof Messages],
  has: (_, key) => key in catalogs[language],
  ownKeys: () => Reflect.ownKeys(catalogs[language]),
  getOwnPropertyDescriptor: (_, key) => {
    const descriptor = Reflect.getOwnPropertyDescriptor(catalogs[language], key);
    return descriptor && { ...descriptor, configurable: true };
  },
});

/**
 * The catalog's text for an API error code; the API's own (English) message when the code is
 * one this page does not know (a newer server).
 */
export function errorText(
  code: string | undefined,
  params: ErrorParams = {},
  fallback = '',
): string {
  const texts: Readonly<
    Record<string, Messages['errors']['byCode'][keyof Messages['errors']['byCode']]>
  > = m.errors.byCode;
  const text = code !== undefined && Object.hasOwn(texts, code) ? texts[code] : undefined;
  if (text === undefined) return fallback;
  return typeof text === 'function' ? text(params) : text;
}
