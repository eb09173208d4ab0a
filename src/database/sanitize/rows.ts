/** The fast path for the bulk of a dump: plain INSERTs of literals, and their rows. */
import { BACKTICK, S, SINGLE } from './tokenizer.js';

/**
 * `INSERT INTO \`t\` VALUES (…),(…)` holding nothing but literals, as mariadb-dump writes its
 * rows: nothing in it can act beyond inserting rows into a table of the target database, so the
 * bulk of a dump is checked by one regular expression instead of token by token.
 */
const LITERAL = S`(?:NULL|[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|0x[0-9A-Fa-f]*|_binary ?${SINGLE}|${SINGLE})`;
const SP = S`[ \t\r\n]*`;
const ROW = S`\(${SP}${LITERAL}(?:${SP},${SP}${LITERAL})*${SP}\)`;
const PLAIN_INSERT = new RegExp(
  S`^INSERT (?:IGNORE )?INTO ${BACKTICK}(?: \(${BACKTICK}(?:, ?${BACKTICK})*\))? VALUES${SP}${ROW}(?:${SP},${SP}${ROW})*${SP}$`,
);

/** The rows of a plain INSERT, one match each, from its VALUES on. */
export const ROWS = new RegExp(ROW, 'g');

export function isPlainInsert(text: string): boolean {
  return text.startsWith('INSERT ') && PLAIN_INSERT.test(text);
}
