/**
 * The message catalog in use. English only for now; a German catalog (`de.ts`, typed
 * `Messages`, with its error texts typed `ErrorTexts`) is chosen here later, from the panel's
 * language or the browser's.
 */
import { en, type Messages } from './en';
import type { ErrorParams } from './en-errors';

export const m: Messages = en;
export type { Messages };
export type { ErrorParams, ErrorTexts } from './en-errors';

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
