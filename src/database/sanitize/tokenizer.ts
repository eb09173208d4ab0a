/** Tokens of one statement as the server sees them, and small readers of a token list. */
import { DumpRejectedError } from './types.js';

export type TokenType = 'word' | 'qid' | 'str' | 'num' | 'uvar' | 'sysvar' | 'punct';

export interface Token {
  type: TokenType;
  /**
   * Words and punctuation as written; quoted names (`qid`, `uvar`) unquoted; strings (`str`)
   * as written between the quotes, escapes left in (see `literal`).
   */
  value: string;
  /** Upper-cased `value` for words; `value` otherwise. */
  upper: string;
  start: number;
  end: number;
  /** The quote of a `str` token. */
  quote?: string;
}

export const S = String.raw;
export const SINGLE = S`'[^'\\]*(?:(?:\\[\s\S]|'')[^'\\]*)*'`;
const DOUBLE = S`"[^"\\]*(?:(?:\\[\s\S]|"")[^"\\]*)*"`;
export const BACKTICK = S`\`[^\`]*(?:\`\`[^\`]*)*\``;
const WORDCH = S`[\w$\x80-\xff]`;
/** One token (or space or comment) at a time; the group that matched tells which. */
const TOKEN = new RegExp(
  [
    S`([ \t\r\n\f\v]+)`, // 1 space
    S`(#[^\n]*|--(?=[\x00-\x20]|$)[^\n]*)`, // 2 line comment
    S`(\/\*M?!(?:\d{5,6})?)`, // 3 executable comment opens
    S`(\/\*[\s\S]*?\*\/)`, // 4 comment
    S`(\*\/)`, // 5 executable comment closes
    `(${SINGLE}|${DOUBLE})`, // 6 string
    `(${BACKTICK})`, // 7 quoted name
    S`(@@)`, // 8 system variable
    `(@(?:${SINGLE}|${DOUBLE}|${BACKTICK}|[\\w$.\\x80-\\xff]+))`, // 9 user variable
    `(0x[0-9A-Fa-f]+(?!${WORDCH})|\\d+\\.?\\d*(?:[eE][+-]?\\d+)?(?!${WORDCH})|\\.\\d+(?:[eE][+-]?\\d+)?)`, // 10 number
    `(${WORDCH}+)`, // 11 word
    S`([\s\S])`, // 12 anything else
  ].join('|'),
  'y',
);

/** Tokenizes one statement; the text of executable comments (`/*!` and `/*M!`) counts as code. */
export function tokenize(text: string, line = 1): Token[] {
  const tokens: Token[] = [];
  let inExec = 0;
  const fail = (at: number, reason: string): never => {
    throw new DumpRejectedError(line + countLines(text, 0, at), reason);
  };
  const push = (type: TokenType, value: string, start: number, end: number): void => {
    tokens.push({ type, value, upper: type === 'word' ? value.toUpperCase() : value, start, end });
  };
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN.exec(text)) !== null) {
    const start = m.index;
    const end = TOKEN.lastIndex;
    if (start === end) break;
    const tok = m[0];
    if (m[1] !== undefined || m[2] !== undefined) continue;
    if (m[3] !== undefined) {
      inExec++;
      continue;
    }
    if (m[4] !== undefined) {
      if (/\bdelimiter\b/i.test(tok)) fail(start, 'a comment contains a DELIMITER command');
      continue;
    }
    if (m[5] !== undefined) {
      if (inExec > 0) inExec--;
      else {
        push('punct', '*', start, start + 1);
        push('punct', '/', start + 1, end);
      }
      continue;
    }
    if (m[6] !== undefined) {
      push('str', tok.slice(1, -1), start, end);
      tokens[tokens.length - 1]!.quote = tok[0];
      continue;
    }
    if (m[7] !== undefined) {
      push('qid', tok.slice(1, -1).replace(/``/g, '`'), start, end);
      continue;
    }
    if (m[8] !== undefined) {
      push('sysvar', '@@', start, end);
      continue;
    }
    if (m[9] !== undefined) {
      const q = tok[1];
      const name =
        q === "'" || q === '"' || q === '`' ? literal(tok.slice(2, -1), q) : tok.slice(1);
      push('uvar', name, start, end);
      continue;
    }
    if (m[10] !== undefined) {
      const prev = tokens.at(-1);
      if (
        tok[0] === '.' &&
        prev &&
        (prev.type === 'word' || prev.type === 'qid') &&
        prev.end === start
      ) {
        // `name.1abc`: a qualifier, not a number.
        push('punct', '.', start, start + 1);
        TOKEN.lastIndex = start + 1;
        continue;
      }
      push('num', tok, start, end);
      continue;
    }
    if (m[11] !== undefined) {
      if (
        tok.length === 9 &&
        tok.toLowerCase() === 'delimiter' &&
        /(^|\n)[ \t]*$/.test(text.slice(0, start))
      ) {
        fail(start, 'a DELIMITER command inside a statement is not allowed');
      }
      push('word', tok, start, end);
      continue;
    }
    // Anything else: punctuation, or the start of something never closed.
    if (tok === "'" || tok === '"') fail(start, 'a quoted text is never closed');
    if (tok === '`') fail(start, 'a quoted name is never closed');
    if (tok === '@' && /['"`]/.test(text[end] ?? '')) fail(start, 'a quoted name is never closed');
    if (tok === '/' && text[end] === '*') fail(start, 'a comment is never closed');
    if (tok === '\\') fail(start, 'a backslash outside quotes (a client command) is not allowed');
    push('punct', tok, start, end);
  }
  if (inExec > 0) fail(text.length, 'an executable comment (/*! … */) is never closed');
  return tokens;
}

/** The value of a quoted text as written between its quotes. */
export function literal(body: string, quote: string): string {
  if (!body.includes('\\') && !body.includes(quote)) return body;
  return body
    .split(quote + quote)
    .join(quote)
    .replace(/\\([\s\S])/g, (_m, ch: string) =>
      ch === 'n' ? '\n' : ch === 't' ? '\t' : ch === '0' ? '\0' : ch === 'r' ? '\r' : ch,
    );
}

export function countLines(text: string, from: number, to: number): number {
  let n = 0;
  let i = text.indexOf('\n', from);
  while (i >= 0 && i < to) {
    n++;
    i = text.indexOf('\n', i + 1);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Reading a statement's tokens.

export function nameAt(tokens: Token[], at: number): Token | undefined {
  const t = tokens[at];
  return t && (t.type === 'word' || t.type === 'qid') ? t : undefined;
}

/** `x` in `x.y` (a schema or table qualifier), not a user or system variable. */
export function isQualifier(tokens: Token[], j: number): boolean {
  const t = tokens[j];
  const dot = tokens[j + 1];
  const next = tokens[j + 2];
  if (!t || !dot || !next) return false;
  if (t.type !== 'word' && t.type !== 'qid') return false;
  if (dot.type !== 'punct' || dot.value !== '.') return false;
  if (tokens[j - 1]?.type === 'sysvar') return false;
  if (tokens[j - 1]?.type === 'punct' && tokens[j - 1]?.value === '.') return false;
  return (
    next.type === 'word' || next.type === 'qid' || (next.type === 'punct' && next.value === '*')
  );
}

/** Where a statement may begin inside a compound statement or a multi-statement text. */
export function isStatementStart(tokens: Token[], j: number, from: number): boolean {
  if (j === from) return true;
  const prev = tokens[j - 1]!;
  if (prev.type === 'punct') return prev.value === ';' || prev.value === ':';
  if (prev.type !== 'word') return false;
  return ['BEGIN', 'THEN', 'ELSE', 'DO', 'LOOP', 'REPEAT', 'ATOMIC', 'ROW'].includes(prev.upper);
}

/** The variable in `@@name`, `@@session.name` or `@@local.name`, or undefined. */
export function sysvarName(value: Token[]): string | undefined {
  if (value[0]?.type !== 'sysvar') return undefined;
  if (value.length === 2 && value[1]!.type === 'word') return value[1]!.value.toLowerCase();
  if (
    value.length === 4 &&
    value[2]?.value === '.' &&
    (value[1]!.upper === 'SESSION' || value[1]!.upper === 'LOCAL') &&
    value[3]!.type === 'word'
  ) {
    return value[3]!.value.toLowerCase();
  }
  return undefined;
}

/** After `=` or `:=` at `at`: the index of the value's first token. */
export function assignmentEnd(tokens: Token[], at: number): number | undefined {
  if (tokens[at]?.value === '=') return at + 1;
  if (tokens[at]?.value === ':' && tokens[at + 1]?.value === '=') return at + 2;
  return undefined;
}

export function quoteName(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}
