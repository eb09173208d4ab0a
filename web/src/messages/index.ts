/**
 * The message catalog in use. English only for now; a German catalog (`de.ts`, typed
 * `Messages`) is chosen here later, from the panel's language or the browser's.
 */
import { en, type Messages } from './en';

export const m: Messages = en;
export type { Messages };
