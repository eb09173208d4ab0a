/**
 * Splitting a dump into statements, the way the `mariadb` client does (DELIMITER, quotes,
 * comments), from a stream of latin1 text.
 */
import { countLines } from './tokenizer.js';
import { DumpRejectedError, type RawStatement } from './types.js';

const SANDBOX_LINE = /^\/\*M!999999\\- enable the sandbox mode \*\/ ?\r?\n/;
const LOOKAHEAD = 64;

export async function* splitStatements(
  chunks: AsyncIterable<string>,
): AsyncGenerator<RawStatement> {
  let buf = '';
  let pos = 0;
  /** Start of the current statement's code; only trivia (space, comments) lies before it. */
  let start = 0;
  let delimiter = ';';
  let special = specialChars(delimiter);
  let trivia = true;
  let codeLine = 1;
  /** Line number at `pos`. */
  let line = 1;
  let first = true;
  let eof = false;
  type Mode = 'code' | "'" | '"' | '`' | 'block';
  let mode: Mode = 'code';
  let blockStartLine = 0;
  /** The character before `buf` (dropped from it), to tell whether `pos` 0 starts a line. */
  let before: string | undefined;
  const iterator = chunks[Symbol.asyncIterator]();

  const advance = (to: number): void => {
    line += countLines(buf, pos, to);
    pos = to;
  };
  const quoteEnd: Record<string, RegExp> = { "'": /['\\]/g, '"': /["\\]/g, '`': /`/g };
  /** The rest of a quoted text up to its closing quote, in one match. */
  const quoteRest: Record<string, RegExp> = {
    "'": /[^'\\]*(?:(?:\\[\s\S]|'')[^'\\]*)*'/y,
    '"': /[^"\\]*(?:(?:\\[\s\S]|"")[^"\\]*)*"/y,
    '`': /[^`]*(?:``[^`]*)*`/y,
  };

  while (true) {
    if (!eof) {
      const next = await iterator.next();
      if (next.done) eof = true;
      else buf += next.value;
    }
    if (first) {
      if (!eof && buf.length < 64) continue;
      first = false;
      const m = SANDBOX_LINE.exec(buf);
      if (m) advance(m[0].length);
    }
    const limit = eof ? buf.length : buf.length - LOOKAHEAD;
    const statements: RawStatement[] = [];
    scan: while (pos < limit) {
      if (mode === 'block') {
        const end = buf.indexOf('*/', pos);
        if (end < 0) {
          // Keep the last character: it may be the `*` of `*/`.
          advance(eof ? buf.length : Math.max(pos, buf.length - 1));
          break;
        }
        advance(end + 2);
        mode = 'code';
        continue;
      }
      if (mode !== 'code') {
        const quote = mode;
        const rest = quoteRest[quote]!;
        rest.lastIndex = pos;
        // A match followed by the same quote gave up a doubled quote: the text goes on.
        if (
          rest.test(buf) &&
          buf[rest.lastIndex] !== quote &&
          (rest.lastIndex < buf.length || eof)
        ) {
          advance(rest.lastIndex);
          mode = 'code';
          continue;
        }
        const find = quoteEnd[quote]!;
        let i = pos;
        let closed = false;
        while (i < buf.length) {
          find.lastIndex = i;
          const hit = find.exec(buf);
          if (!hit) {
            i = buf.length;
            break;
          }
          i = hit.index;
          if (buf[i] === '\\') {
            if (i + 1 >= buf.length && !eof) break;
            i += 2;
            continue;
          }
          if (i + 1 >= buf.length && !eof) break;
          if (buf[i + 1] === quote) {
            i += 2;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        advance(Math.min(i, buf.length));
        if (!closed) break scan;
        mode = 'code';
        continue;
      }
      // Code.
      if (trivia) {
        start = pos;
        if ((pos === 0 ? (before ?? '\n') : buf[pos - 1]) === '\n') {
          const nl = buf.indexOf('\n', pos);
          if (nl < 0 && !eof) break;
          const lineText = buf.slice(pos, nl < 0 ? buf.length : nl);
          const m = /^[ \t]*delimiter[ \t]+(\S+)/i.exec(lineText);
          if (m?.[1]) {
            delimiter = m[1];
            special = specialChars(delimiter);
            advance(nl < 0 ? buf.length : nl + 1);
            continue;
          }
        }
      } else {
        // Jump to the next character that can matter.
        special.lastIndex = pos;
        const hit = special.exec(buf);
        const to = hit ? hit.index : buf.length;
        if (to > limit) {
          advance(Math.max(pos, limit));
          break;
        }
        advance(to);
        if (pos >= buf.length) break;
      }
      const c = buf[pos]!;
      if (buf.startsWith(delimiter, pos)) {
        if (!trivia) statements.push({ text: buf.slice(start, pos), line: codeLine });
        advance(pos + delimiter.length);
        start = pos;
        trivia = true;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        advance(pos + 1);
        continue;
      }
      if (c === '#' || (c === '-' && buf[pos + 1] === '-' && isCommentSpace(buf[pos + 2]))) {
        const nl = buf.indexOf('\n', pos);
        if (nl < 0) {
          if (!eof) break;
          advance(buf.length);
          continue;
        }
        advance(nl);
        continue;
      }
      if (
        c === '/' &&
        buf[pos + 1] === '*' &&
        buf[pos + 2] !== '!' &&
        !buf.startsWith('M!', pos + 2)
      ) {
        blockStartLine = line;
        mode = 'block';
        advance(pos + 2);
        continue;
      }
      if (trivia) {
        trivia = false;
        codeLine = line;
        start = pos;
      }
      if (c === "'" || c === '"' || c === '`') {
        mode = c;
        advance(pos + 1);
        continue;
      }
      advance(pos + 1);
    }
    for (const statement of statements) yield statement;
    // Keep only the unfinished statement in the buffer.
    const keep = trivia && mode === 'code' ? pos : start;
    if (keep > 0) {
      before = buf[keep - 1];
      buf = buf.slice(keep);
      pos -= keep;
      start -= keep;
    }
    if (eof && pos >= buf.length) break;
  }
  if (mode === 'block') throw new DumpRejectedError(blockStartLine, 'a comment is never closed');
  if (mode !== 'code') throw new DumpRejectedError(codeLine, 'a quoted text is never closed');
  if (!trivia) yield { text: buf.slice(start), line: codeLine };
}

/** Characters after which the splitter must look closely, in code outside quotes. */
function specialChars(delimiter: string): RegExp {
  const d = delimiter[0]!.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  return new RegExp(`['"\`#\\-/]|${d}`, 'g');
}

export function isCommentSpace(c: string | undefined): boolean {
  return c === undefined || c <= ' ';
}
