/**
 * Reads an SQL dump statement by statement and makes it fit for a restore into one database:
 *
 * - every `DEFINER=` clause is rewritten to the customer's owner account;
 * - `USE` and `CREATE DATABASE` of the dump's own database are dropped, `ALTER DATABASE` is
 *   pointed at the target, so the dump goes only into the database being restored;
 * - statements outside a short list of what a dump contains (tables, views, triggers, routines,
 *   events, sequences, rows, session settings) are refused, as is any statement that names
 *   another database, the `mysql` schema, an account, a file or a client command.
 *
 * This filter is defence in depth: the import runs as an account that has privileges on the
 * customer's databases only, and that is what really protects the server. The filter exists so a
 * crafted dump is refused before the live database is touched, with a message naming the line,
 * and so what the account could do (write the customer's other databases) stays inside the one
 * database the rollback covers.
 *
 * Bytes are handled as latin1 text: every byte is one character, so binary data passes through
 * unchanged, and SQL syntax is ASCII, which no byte of a utf8 or latin1 multibyte character can
 * be. Character sets where it can (gbk, big5, sjis, …) are refused for the same reason.
 */

export interface SanitizeContext {
  /** The database the dump is restored into. */
  target: string;
  /**
   * Another name of the target: the live database a restore stages for. Names qualified with it
   * (`live`.`t`) are rewritten to the target, so nothing the dump creates or runs reaches the
   * live database while it is imported beside it.
   */
  alias?: string;
  /**
   * Create events disabled, and record the status each was given in `eventStatus`: events must
   * not run in a staging database (they would change what the checksums compare).
   */
  disableEvents?: boolean;
  /** Count the rows that plain INSERTs put into these tables (`rows`; `uncounted` if unsure). */
  countRowsOf?: string[];
  /** `` `user`@`host` `` that every DEFINER clause is rewritten to. */
  definer: string;
  /** The customer's databases (including the target). */
  allowedDatabases: string[];
  /** Every database on the server, to recognize names of other schemas. */
  knownSchemas: string[];
}

export interface RawStatement {
  text: string;
  /** 1-based line of the statement's first character of code in the dump. */
  line: number;
}

export class DumpRejectedError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'DumpRejectedError';
  }
}

export interface SanitizeStats {
  statements: number;
  definersRewritten: number;
  stripped: number;
  /** Rows inserted per table named in `countRowsOf`. */
  rows: Record<string, number>;
  /** Tables of `countRowsOf` that statements other than plain INSERTs changed. */
  uncounted: string[];
}

// ---------------------------------------------------------------------------------------------
// Splitting a dump into statements, the way the `mariadb` client does (DELIMITER, quotes,
// comments), from a stream of latin1 text.

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

// ---------------------------------------------------------------------------------------------
// Tokens as the server sees them.

type TokenType = 'word' | 'qid' | 'str' | 'num' | 'uvar' | 'sysvar' | 'punct';

interface Token {
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

const S = String.raw;
const SINGLE = S`'[^'\\]*(?:(?:\\[\s\S]|'')[^'\\]*)*'`;
const DOUBLE = S`"[^"\\]*(?:(?:\\[\s\S]|"")[^"\\]*)*"`;
const BACKTICK = S`\`[^\`]*(?:\`\`[^\`]*)*\``;
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
function literal(body: string, quote: string): string {
  if (!body.includes('\\') && !body.includes(quote)) return body;
  return body
    .split(quote + quote)
    .join(quote)
    .replace(/\\([\s\S])/g, (_m, ch: string) =>
      ch === 'n' ? '\n' : ch === 't' ? '\t' : ch === '0' ? '\0' : ch === 'r' ? '\r' : ch,
    );
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  let i = text.indexOf('\n', from);
  while (i >= 0 && i < to) {
    n++;
    i = text.indexOf('\n', i + 1);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Checking and rewriting statements.

const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'];
/** Character sets in which no byte of a multibyte character is an ASCII byte. */
const SAFE_CHARSETS = new Set([
  'utf8',
  'utf8mb3',
  'utf8mb4',
  'latin1',
  'ascii',
  'binary',
  'default',
]);
/** sql_mode flags that change how statements are lexed or parsed. */
const UNSAFE_SQL_MODES = new Set([
  'NO_BACKSLASH_ESCAPES',
  'ANSI_QUOTES',
  'ANSI',
  'DB2',
  'MAXDB',
  'MSSQL',
  'ORACLE',
  'POSTGRESQL',
]);
const OBJECT_KEYWORDS = new Set(['VIEW', 'TRIGGER', 'PROCEDURE', 'FUNCTION', 'EVENT']);

/** Word sequences refused anywhere in a statement (outside quotes). */
const DENIED_SEQUENCES: string[][] = [
  ['GRANT'],
  ['REVOKE'],
  ['CREATE', 'USER'],
  ['DROP', 'USER'],
  ['ALTER', 'USER'],
  ['RENAME', 'USER'],
  ['CREATE', 'ROLE'],
  ['DROP', 'ROLE'],
  ['SET', 'PASSWORD'],
  ['SET', 'ROLE'],
  ['SET', 'DEFAULT', 'ROLE'],
  ['SET', 'GLOBAL'],
  ['SET', 'STATEMENT'],
  ['DROP', 'DATABASE'],
  ['DROP', 'SCHEMA'],
  ['CREATE', 'DATABASE'],
  ['CREATE', 'SCHEMA'],
  ['ALTER', 'DATABASE'],
  ['ALTER', 'SCHEMA'],
  ['LOAD', 'DATA'],
  ['LOAD', 'XML'],
  ['LOAD', 'INDEX'],
  ['INTO', 'OUTFILE'],
  ['INTO', 'DUMPFILE'],
  ['LOAD_FILE'],
  ['SONAME'],
  ['INSTALL', 'PLUGIN'],
  ['INSTALL', 'SONAME'],
  ['UNINSTALL'],
  ['CHANGE', 'MASTER'],
  ['CREATE', 'SERVER'],
  ['ALTER', 'SERVER'],
  ['DROP', 'SERVER'],
  ['BINLOG'],
  ['DATA', 'DIRECTORY'],
  ['INDEX', 'DIRECTORY'],
];
/** Storage engines that reach files or other servers. */
const DENIED_ENGINES = new Set(['CONNECT', 'FEDERATED', 'FEDERATEDX', 'SPIDER']);
/** Words refused where a statement can start (they are common column names elsewhere). */
const DENIED_AT_START = new Set(['SHUTDOWN', 'KILL', 'FLUSH', 'RESET', 'PURGE', 'USE', 'CALL']);
/** Statement kinds a dump may contain at its top level. */
const PLAIN_KINDS = new Set([
  'INSERT',
  'REPLACE',
  'UPDATE',
  'DELETE',
  'TRUNCATE',
  'DO',
  'SELECT',
  'LOCK',
  'UNLOCK',
  'START',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
]);

interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * Sent before the dump: the checks above read quotes the way the server does by default, so the
 * session must not start with a server-wide sql_mode that reads them otherwise.
 */
export const SESSION_PRELUDE =
  "SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(REPLACE(REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','), ',ANSI_QUOTES,', ','), ',ORACLE,', ','))";

/**
 * Settings a dump may restore from a user variable only when that variable provably holds the
 * value saved from the same setting (`SET @v = @@sql_mode` … `SET sql_mode = @v`).
 */
function restoredFromVariable(variable: string): boolean {
  return variable === 'sql_mode' || variable.startsWith('character_set_');
}

/**
 * Sent right after a statement that sets sql_mode or character_set_client from anything but a
 * literal this check has read (a variable, DEFAULT): the server itself refuses the statement if
 * the value would change how the dump is lexed. It covers what no reading of the dump can see:
 * a function in another of the customer's databases, called by a trigger, that changes a saved
 * variable. Neither text contains a double quote or a backslash, so each reads the same in any
 * mode; the values that fail name the cause in the server's error message.
 */
const SQL_MODE_GUARD = `SET SESSION sql_mode = CASE WHEN ${[...UNSAFE_SQL_MODES]
  .map((mode) => `FIND_IN_SET('${mode}', @@SESSION.sql_mode)`)
  .join(' + ')} > 0 THEN 'HOSTVAULT_REFUSED_SQL_MODE' ELSE @@SESSION.sql_mode END`;
const CHARSET_GUARD = `SET SESSION character_set_client = CASE WHEN @@SESSION.character_set_client IN (${[
  ...SAFE_CHARSETS,
]
  .filter((c) => c !== 'default')
  .map((c) => `'${c}'`)
  .join(', ')}) THEN @@SESSION.character_set_client ELSE 'hostvault_refused' END`;
/** What the server says when a guard refused. */
export const GUARD_REFUSAL = /HOSTVAULT_REFUSED_SQL_MODE|hostvault_refused/;

export class DumpSanitizer {
  readonly stats: SanitizeStats = {
    statements: 0,
    definersRewritten: 0,
    stripped: 0,
    rows: {},
    uncounted: [],
  };
  /** Status each event was created with (`ENABLE`, `DISABLE`, `DISABLE ON SLAVE`), by name. */
  readonly eventStatus = new Map<string, string>();
  /** The database the dump was taken from, once a USE or CREATE DATABASE names it. */
  private source: string | undefined;
  private readonly allowed: Set<string>;
  private readonly foreign: Set<string>;
  private readonly counted: Set<string>;
  /** User variables that hold a saved session setting: name (lower case) → the setting. */
  private readonly saved = new Map<string, string>();
  /** Where each user variable was last changed (or may have been), for the refusal's reason. */
  private readonly changedAt = new Map<string, number>();
  /**
   * Variables named in a trigger, routine or event: that code may run at any later moment (a
   * trigger fires on an INSERT), so they never count as saved.
   */
  private readonly inBodies = new Set<string>();
  /** Guards to send after the statement being processed. */
  private guards = new Set<string>();
  /** The dump line of a token of the statement being processed. */
  private lineOf: (token: Token | undefined) => number = () => 0;

  constructor(private readonly ctx: SanitizeContext) {
    this.counted = new Set(ctx.countRowsOf ?? []);
    this.allowed = new Set(ctx.allowedDatabases);
    this.allowed.add(ctx.target);
    this.foreign = new Set(
      [...ctx.knownSchemas, ...SYSTEM_SCHEMAS]
        .filter((s) => !this.allowed.has(s))
        .map((s) => s.toLowerCase()),
    );
  }

  /** The statement to execute (rewritten), or `null` when it is dropped. Throws when refused. */
  process(statement: RawStatement): string | null {
    if (isPlainInsert(statement.text)) {
      this.stats.statements++;
      if (this.counted.size > 0) this.countRows(statement.text);
      return statement.text;
    }
    const tokens = tokenize(statement.text, statement.line);
    if (tokens.length === 0) return null;
    this.guards = new Set();
    const edits: Edit[] = [];
    if (this.ctx.alias !== undefined) this.renameAlias(tokens, edits);
    const lineOf = (token: Token | undefined): number => {
      let l = statement.line;
      const upto = token?.start ?? 0;
      const firstCode = tokens[0]?.start ?? 0;
      for (let k = firstCode; k < upto; k++) if (statement.text.charCodeAt(k) === 10) l++;
      return l;
    };
    const reject = (token: Token | undefined, reason: string): never => {
      throw new DumpRejectedError(lineOf(token), reason);
    };
    this.lineOf = lineOf;

    let i = 0;
    let kept = 0;
    while (i < tokens.length) {
      if (tokens[i]!.value === ';' && tokens[i]!.type === 'punct') {
        i++;
        continue;
      }
      if (this.guards.size > 0) {
        reject(
          tokens[i],
          'a statement after a SET of sql_mode or character_set_client from a variable must come after the next delimiter',
        );
      }
      const kind = this.classify(tokens, i);
      if (kind === 'object') {
        this.checkObject(tokens, i, tokens.length, edits, reject);
        this.forgetVariables(tokens, i, tokens.length, true);
        kept++;
        break;
      }
      let end = i;
      while (
        end < tokens.length &&
        !(tokens[end]!.type === 'punct' && tokens[end]!.value === ';')
      ) {
        end++;
      }
      const strip = this.checkPlain(kind, tokens, i, end, edits, reject);
      if (kind !== 'SET') this.forgetVariables(tokens, i, end, false);
      if (
        this.counted.size > 0 &&
        ['INSERT', 'REPLACE', 'UPDATE', 'DELETE', 'TRUNCATE'].includes(kind)
      ) {
        for (let j = i; j < end; j++) {
          const t = tokens[j]!;
          if ((t.type === 'qid' || t.type === 'word') && this.counted.has(t.value)) {
            if (!this.stats.uncounted.includes(t.value)) this.stats.uncounted.push(t.value);
          }
        }
      }
      if (strip) {
        const stripEnd = end < tokens.length ? tokens[end]!.end : statement.text.length;
        edits.push({ start: tokens[i]!.start, end: stripEnd, text: '' });
        this.stats.stripped++;
      } else kept++;
      i = end + 1;
    }
    if (kept === 0) return null;
    this.stats.statements++;
    let text = statement.text;
    for (const edit of edits.sort((a, b) => b.start - a.start)) {
      text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
    }
    // On lines of their own: the text may end in a comment.
    for (const guard of this.guards) text += `;\n${guard}`;
    return text;
  }

  /** `live`.`x` → `target`.`x`, wherever a name is qualified with the alias. */
  private renameAlias(tokens: Token[], edits: Edit[]): void {
    for (let j = 0; j < tokens.length - 2; j++) {
      const t = tokens[j]!;
      if (t.value !== this.ctx.alias || !isQualifier(tokens, j)) continue;
      edits.push({ start: t.start, end: t.end, text: quoteName(this.ctx.target) });
      t.value = this.ctx.target;
      t.upper = t.type === 'word' ? t.value.toUpperCase() : t.value;
    }
  }

  /**
   * Every user variable named between `from` and `to` may have been assigned there (`SELECT …
   * INTO @v`, `@v := …`), so none of them holds a saved setting any more.
   */
  private forgetVariables(tokens: Token[], from: number, to: number, body: boolean): void {
    for (let j = from; j < to; j++) {
      const t = tokens[j]!;
      if (t.type !== 'uvar') continue;
      this.forget(t.value, this.lineAt(tokens, j));
      if (body) this.inBodies.add(t.value.toLowerCase());
    }
  }

  private forget(name: string, line: number): void {
    this.saved.delete(name.toLowerCase());
    this.changedAt.set(name.toLowerCase(), line);
  }

  private lineAt(tokens: Token[], j: number): number {
    return this.lineOf(tokens[j]);
  }

  private countRows(text: string): void {
    const table = /^INSERT (?:IGNORE )?INTO `((?:[^`]|``)+)`/.exec(text)?.[1]?.replace(/``/g, '`');
    if (table === undefined || !this.counted.has(table)) return;
    const at = text.indexOf(' VALUES');
    ROWS.lastIndex = at;
    let n = 0;
    while (ROWS.exec(text) !== null) n++;
    this.stats.rows[table] = (this.stats.rows[table] ?? 0) + n;
  }

  /** `object` for CREATE/ALTER of views, triggers, routines and events; else the first word. */
  private classify(tokens: Token[], i: number): string {
    const first = tokens[i]!;
    if (first.type !== 'word') return '?';
    if (first.upper !== 'CREATE' && first.upper !== 'ALTER') return first.upper;
    for (let j = i + 1; j < Math.min(tokens.length, i + 24); j++) {
      const t = tokens[j]!;
      if (t.type !== 'word') continue;
      if (OBJECT_KEYWORDS.has(t.upper)) return 'object';
      if (
        ['TABLE', 'INDEX', 'SEQUENCE', 'DATABASE', 'SCHEMA', 'USER', 'ROLE', 'SERVER'].includes(
          t.upper,
        )
      ) {
        break;
      }
    }
    return first.upper;
  }

  /** Checks one non-object statement; returns true when it is to be dropped (USE, CREATE DATABASE). */
  private checkPlain(
    kind: string,
    tokens: Token[],
    from: number,
    to: number,
    edits: Edit[],
    reject: (token: Token | undefined, reason: string) => never,
  ): boolean {
    const first = tokens[from]!;
    const second = tokens[from + 1];
    const words = (k: number): string => tokens[from + k]?.upper ?? '';

    if (kind === 'USE') {
      const name = nameAt(tokens, from + 1);
      if (!name || from + 2 !== to) reject(first, 'a USE statement this restore cannot follow');
      this.sourceName(name.value, name, reject, 'switches to');
      return true;
    }
    if ((kind === 'CREATE' || kind === 'ALTER') && ['DATABASE', 'SCHEMA'].includes(words(1))) {
      let k = from + 2;
      if (words(2) === 'IF' && words(3) === 'NOT' && words(4) === 'EXISTS') k = from + 5;
      else if (words(2) === 'IF' && words(3) === 'EXISTS') k = from + 4;
      const name = nameAt(tokens, k);
      const isName =
        name &&
        (name.type !== 'word' ||
          !['CHARACTER', 'CHARSET', 'DEFAULT', 'COLLATE', 'COMMENT', 'UPGRADE'].includes(
            name.upper,
          ));
      if (kind === 'CREATE') {
        if (!isName) reject(first, 'a CREATE DATABASE statement without a name');
        this.sourceName(name.value, name, reject, 'creates');
        return true;
      }
      if (isName) {
        this.sourceName(name.value, name, reject, 'alters');
        edits.push({ start: name.start, end: name.end, text: quoteName(this.ctx.target) });
      }
      this.denyScan(tokens, from + 2, to, reject);
      return false;
    }

    this.strictQualifiers(tokens, from, to, reject);
    this.denyScan(tokens, from, to, reject);

    switch (kind) {
      case 'SET':
        this.checkSet(tokens, from + 1, to, reject);
        return false;
      case 'CREATE': {
        let k = from + 1;
        if (words(1) === 'OR' && words(2) === 'REPLACE') k += 2;
        while (
          ['TEMPORARY', 'UNIQUE', 'FULLTEXT', 'SPATIAL', 'ONLINE', 'OFFLINE'].includes(
            tokens[k]?.upper ?? '',
          )
        ) {
          k++;
        }
        if (!['TABLE', 'INDEX', 'SEQUENCE'].includes(tokens[k]?.upper ?? '')) {
          reject(first, `"CREATE ${tokens[k]?.value ?? ''}" is not allowed in a database dump`);
        }
        return false;
      }
      case 'ALTER': {
        let k = from + 1;
        while (['ONLINE', 'IGNORE'].includes(tokens[k]?.upper ?? '')) k++;
        if (!['TABLE', 'SEQUENCE'].includes(tokens[k]?.upper ?? '')) {
          reject(first, `"ALTER ${tokens[k]?.value ?? ''}" is not allowed in a database dump`);
        }
        return false;
      }
      case 'DROP': {
        let k = from + 1;
        if (words(1) === 'TEMPORARY') k++;
        const what = tokens[k]?.upper ?? '';
        if (
          ![
            'TABLE',
            'TABLES',
            'VIEW',
            'INDEX',
            'SEQUENCE',
            'TRIGGER',
            'PROCEDURE',
            'FUNCTION',
            'EVENT',
          ].includes(what)
        ) {
          reject(first, `"DROP ${tokens[k]?.value ?? ''}" is not allowed in a database dump`);
        }
        return false;
      }
      case 'RENAME':
        if (!['TABLE', 'TABLES'].includes(words(1))) {
          reject(first, `"RENAME ${second?.value ?? ''}" is not allowed in a database dump`);
        }
        return false;
      case 'BEGIN':
        if (from + 1 !== to && !(words(1) === 'WORK' && from + 2 === to)) {
          reject(first, 'a compound statement (BEGIN … END) outside a routine is not allowed');
        }
        return false;
      default:
        if (PLAIN_KINDS.has(kind)) return false;
        return reject(
          first,
          `"${tokens
            .slice(from, Math.min(to, from + 3))
            .map((t) => t.value)
            .join(' ')}" is not allowed in a database dump`,
        );
    }
  }

  /** CREATE/ALTER of a view, trigger, routine or event: definer rewritten, names checked. */
  private checkObject(
    tokens: Token[],
    from: number,
    to: number,
    edits: Edit[],
    reject: (token: Token | undefined, reason: string) => never,
  ): void {
    let k = from + 1;
    let objectKeyword: Token | undefined;
    for (; k < to; k++) {
      const t = tokens[k]!;
      if (t.type === 'word' && OBJECT_KEYWORDS.has(t.upper)) {
        objectKeyword = t;
        break;
      }
    }
    if (!objectKeyword) return reject(tokens[from], 'an incomplete CREATE statement');
    // The object's own name must be in the target database.
    let n = k + 1;
    if (
      tokens[n]?.upper === 'IF' &&
      tokens[n + 1]?.upper === 'NOT' &&
      tokens[n + 2]?.upper === 'EXISTS'
    ) {
      n += 3;
    } else if (tokens[n]?.upper === 'IF' && tokens[n + 1]?.upper === 'EXISTS') n += 2;
    this.ownName(tokens, n, objectKeyword.upper.toLowerCase(), reject);
    if (objectKeyword.upper === 'EVENT' && this.ctx.disableEvents) {
      this.disableEvent(tokens, tokens[from]!.upper === 'CREATE', n, to, edits);
    }
    if (objectKeyword.upper === 'TRIGGER') {
      for (let j = n; j < to; j++) {
        if (tokens[j]!.upper === 'ON' && tokens[j]!.type === 'word') {
          this.ownName(tokens, j + 1, 'trigger table', reject);
          break;
        }
      }
    }
    // Every DEFINER = <account> becomes the owner account.
    for (let j = from; j < to - 2; j++) {
      const t = tokens[j]!;
      if (t.type !== 'word' || t.upper !== 'DEFINER' || tokens[j + 1]?.value !== '=') continue;
      const user = tokens[j + 2]!;
      let end = user.end;
      let last = j + 2;
      if (user.type === 'word' && ['CURRENT_USER', 'CURRENT_ROLE'].includes(user.upper)) {
        if (tokens[j + 3]?.value === '(' && tokens[j + 4]?.value === ')') {
          end = tokens[j + 4]!.end;
          last = j + 4;
        }
      } else {
        const host = tokens[j + 3];
        if (host?.type === 'uvar' && host.start === user.end) {
          end = host.end;
          last = j + 3;
        } else if (host?.type === 'punct' && host.value === '@') {
          const h = tokens[j + 4];
          if (h && ['word', 'qid', 'str'].includes(h.type)) {
            end = h.end;
            last = j + 4;
          }
        }
      }
      edits.push({ start: user.start, end, text: this.ctx.definer });
      this.stats.definersRewritten++;
      j = last;
    }
    // Names of other schemas in the body: the customer's own databases are fine (the definer
    // has privileges there only), another customer's or a system schema is not.
    for (let j = from; j < to - 2; j++) {
      const t = tokens[j]!;
      if (!isQualifier(tokens, j)) continue;
      if (t.value === this.ctx.target || this.allowed.has(t.value)) continue;
      const lower = t.value.toLowerCase();
      if (lower === 'information_schema') continue;
      if (this.foreign.has(lower)) {
        reject(
          t,
          `the ${objectKeyword.upper.toLowerCase()} reaches database ${t.value}, which is not this customer's`,
        );
      }
    }
    this.denyScan(tokens, from, to, reject);
  }

  /**
   * The event's status clause becomes DISABLE (added when absent), and the status it had is kept
   * in `eventStatus` under the event's name (followed through `RENAME TO`).
   */
  private disableEvent(
    tokens: Token[],
    create: boolean,
    at: number,
    to: number,
    edits: Edit[],
  ): void {
    const nameAt = isQualifier(tokens, at) ? at + 2 : at;
    let name = tokens[nameAt]?.value;
    if (name === undefined) return;
    let status: string | undefined;
    let depth = 0;
    let j = nameAt + 1;
    for (; j < to; j++) {
      const t = tokens[j]!;
      if (t.type === 'punct' && t.value === '(') depth++;
      else if (t.type === 'punct' && t.value === ')') depth--;
      if (depth !== 0 || t.type !== 'word') continue;
      if (t.upper === 'DO') break;
      if (t.upper === 'RENAME' && tokens[j + 1]?.upper === 'TO') {
        const next = isQualifier(tokens, j + 2) ? tokens[j + 4] : tokens[j + 2];
        if (next) {
          const had = this.eventStatus.get(name);
          this.eventStatus.delete(name);
          name = next.value;
          if (had !== undefined) this.eventStatus.set(name, had);
        }
        continue;
      }
      if (t.upper === 'ENABLE') {
        status = 'ENABLE';
        edits.push({ start: t.start, end: t.end, text: 'DISABLE' });
      } else if (t.upper === 'DISABLE') {
        if (tokens[j + 1]?.upper === 'ON' && tokens[j + 2]?.upper === 'SLAVE') {
          status = 'DISABLE ON SLAVE';
          edits.push({ start: t.start, end: tokens[j + 2]!.end, text: 'DISABLE' });
          j += 2;
        } else status = 'DISABLE';
      }
    }
    if (create && status === undefined) {
      status = 'ENABLE';
      const body = tokens[j];
      if (body) edits.push({ start: body.start, end: body.start, text: 'DISABLE ' });
    }
    if (status !== undefined) this.eventStatus.set(name, status);
  }

  private ownName(
    tokens: Token[],
    at: number,
    what: string,
    reject: (token: Token | undefined, reason: string) => never,
  ): void {
    if (isQualifier(tokens, at) && tokens[at]!.value !== this.ctx.target) {
      reject(tokens[at], `the ${what} is in database ${tokens[at]!.value}, not ${this.ctx.target}`);
    }
  }

  /** Outside routine bodies a dump names no other database at all. */
  private strictQualifiers(
    tokens: Token[],
    from: number,
    to: number,
    reject: (token: Token | undefined, reason: string) => never,
  ): void {
    for (let j = from; j < to - 2; j++) {
      if (!isQualifier(tokens, j)) continue;
      const t = tokens[j]!;
      if (t.value === this.ctx.target) continue;
      // A foreign key to a table in another of the customer's databases.
      if (tokens[j - 1]?.upper === 'REFERENCES' && this.allowed.has(t.value)) continue;
      reject(t, `the statement reaches database ${t.value}, not ${this.ctx.target}`);
    }
  }

  private denyScan(
    tokens: Token[],
    from: number,
    to: number,
    reject: (token: Token | undefined, reason: string) => never,
  ): void {
    for (let j = from; j < to; j++) {
      const t = tokens[j]!;
      if (
        t.type === 'sysvar' &&
        tokens[j + 1]?.upper === 'GLOBAL' &&
        tokens[j + 1]?.type === 'word'
      ) {
        reject(t, 'a global server setting (@@GLOBAL) is not allowed in a database dump');
      }
      if (t.type !== 'word') continue;
      if (t.upper === 'ENGINE') {
        const engine = tokens[j + 1]?.value === '=' ? tokens[j + 2] : tokens[j + 1];
        if (engine && DENIED_ENGINES.has(engine.value.toUpperCase())) {
          reject(t, `tables with ENGINE=${engine.value} are not allowed in a database dump`);
        }
      }
      for (const seq of DENIED_SEQUENCES) {
        if (seq[0] !== t.upper) continue;
        if (seq.every((w, o) => tokens[j + o]?.type === 'word' && tokens[j + o]?.upper === w)) {
          reject(t, `"${seq.join(' ')}" is not allowed in a database dump`);
        }
      }
      if (DENIED_AT_START.has(t.upper) && isStatementStart(tokens, j, from)) {
        if (t.upper === 'USE' && ['INDEX', 'KEY'].includes(tokens[j + 1]?.upper ?? '')) continue;
        if (t.upper === 'CALL' && j !== from) continue;
        reject(t, `"${t.value}" is not allowed in a database dump`);
      }
      if (t.upper === 'USE' && tokens[j + 1] && !['INDEX', 'KEY'].includes(tokens[j + 1]!.upper)) {
        reject(t, 'switching databases (USE) inside a statement is not allowed');
      }
    }
  }

  /** Session settings only, and none that changes how the following statements are lexed. */
  private checkSet(
    tokens: Token[],
    from: number,
    to: number,
    reject: (token: Token | undefined, reason: string) => never,
  ): void {
    const head = tokens[from];
    if (!head) return reject(tokens[from - 1], 'an empty SET statement');
    if (head.type === 'word' && head.upper === 'TRANSACTION') {
      // ISOLATION LEVEL …, READ ONLY: characteristics, no values.
      for (let j = from + 1; j < to; j++) {
        const t = tokens[j]!;
        if (t.type !== 'word' && !(t.type === 'punct' && t.value === ',')) {
          reject(t, 'a SET TRANSACTION statement this restore does not understand');
        }
      }
      return;
    }
    // Assignments separated by commas at depth 0; `NAMES x` is one of them.
    let depth = 0;
    let startOf = from;
    for (let j = from; j <= to; j++) {
      const t = tokens[j];
      if (j < to && t!.type === 'punct' && t!.value === '(') depth++;
      else if (j < to && t!.type === 'punct' && t!.value === ')') depth--;
      if (j === to || (depth === 0 && t!.type === 'punct' && t!.value === ',')) {
        this.checkAssignment(tokens, startOf, j, reject);
        startOf = j + 1;
      }
    }
  }

  private checkAssignment(
    tokens: Token[],
    from: number,
    to: number,
    reject: (token: Token | undefined, reason: string) => never,
  ): void {
    let k = from;
    const first = tokens[k];
    if (!first) return reject(tokens[from - 1], 'an empty assignment in a SET statement');
    if (first.type === 'word' && ['NAMES', 'CHARSET', 'CHARACTER'].includes(first.upper)) {
      k = first.upper === 'CHARACTER' && tokens[k + 1]?.upper === 'SET' ? k + 2 : k + 1;
      const value = tokens[k];
      this.charsetValue(value, reject);
      if (value?.upper === 'DEFAULT') this.guards.add(CHARSET_GUARD);
      if (first.upper === 'NAMES' && tokens[k + 1]?.upper === 'COLLATE') k += 2;
      if (k + 1 !== to)
        reject(tokens[k + 1], 'a SET NAMES statement this restore does not understand');
      return;
    }
    if (first.type === 'uvar') {
      const operator = assignmentEnd(tokens, k + 1);
      if (operator === undefined) {
        return reject(first, 'a SET statement this restore does not understand');
      }
      const value = tokens.slice(operator, to);
      // The value may assign variables itself (`SET @a = (@b := …)`).
      this.forgetVariables(tokens, operator, to, false);
      const name = first.value.toLowerCase();
      this.forget(name, this.lineOf(first));
      const sys = sysvarName(value);
      if (sys !== undefined && restoredFromVariable(sys) && !this.inBodies.has(name)) {
        this.saved.set(name, sys);
      }
      return;
    }
    let scope = 'SESSION';
    if (first.type === 'sysvar') {
      k++;
      const maybeScope = tokens[k];
      if (maybeScope?.type === 'word' && tokens[k + 1]?.value === '.') {
        scope = maybeScope.upper;
        k += 2;
      }
    } else if (first.type === 'word' && ['SESSION', 'LOCAL', 'GLOBAL'].includes(first.upper)) {
      scope = first.upper;
      k++;
    }
    if (scope === 'GLOBAL')
      reject(first, 'a global server setting is not allowed in a database dump');
    const name = tokens[k];
    if (!name || (name.type !== 'word' && name.type !== 'qid')) {
      return reject(first, 'a SET statement this restore does not understand');
    }
    const variable = name.value.toLowerCase();
    const operator = assignmentEnd(tokens, k + 1);
    if (operator === undefined) {
      return reject(name, 'a SET statement this restore does not understand');
    }
    const value = tokens.slice(operator, to);
    const guard =
      variable === 'sql_mode'
        ? SQL_MODE_GUARD
        : variable === 'character_set_client'
          ? CHARSET_GUARD
          : undefined;
    if (value.length === 1 && value[0]!.type === 'uvar') {
      if (restoredFromVariable(variable)) {
        this.checkSaved(variable, value[0]!, reject);
        if (guard) this.guards.add(guard);
      }
      return;
    }
    this.forgetVariables(tokens, operator, to, false);
    if (value.length === 1 && value[0]!.type === 'word' && value[0]!.upper === 'DEFAULT') {
      // The server's global value, which this check cannot read.
      if (guard) this.guards.add(guard);
      return;
    }
    if (variable === 'character_set_client') {
      if (value.length !== 1) reject(name, 'character_set_client must be set to a plain value');
      return this.charsetValue(value[0], reject);
    }
    if (variable === 'sql_mode') {
      if (value.length !== 1 || value[0]!.type !== 'str') {
        return reject(name, 'sql_mode must be set to a plain text value');
      }
      for (const mode of literal(value[0]!.value, value[0]!.quote ?? "'").split(',')) {
        if (UNSAFE_SQL_MODES.has(mode.trim().toUpperCase())) {
          reject(name, `sql_mode ${mode.trim()} changes how the dump is read and is not supported`);
        }
      }
    }
  }

  /** `SET <variable> = @v` only when @v provably holds the value saved from that setting. */
  private checkSaved(
    variable: string,
    token: Token,
    reject: (token: Token | undefined, reason: string) => never,
  ): void {
    const name = token.value.toLowerCase();
    const saved = this.saved.get(name);
    if (saved === variable) return;
    const changed = this.changedAt.get(name);
    const why = this.inBodies.has(name)
      ? 'a trigger, routine or event of the dump can change at any time'
      : saved !== undefined
        ? `holds the saved ${saved}, not ${variable}`
        : changed !== undefined
          ? `may have been changed at line ${changed} after it was saved`
          : `was never saved from @@${variable}`;
    reject(token, `${variable} is set from @${token.value}, which ${why}`);
  }

  private charsetValue(
    token: Token | undefined,
    reject: (token: Token | undefined, reason: string) => never,
  ): void {
    if (!token || !['word', 'str', 'qid'].includes(token.type)) {
      return reject(token, 'a character set this restore does not understand');
    }
    const name = token.type === 'str' ? literal(token.value, token.quote ?? "'") : token.value;
    if (!SAFE_CHARSETS.has(name.toLowerCase())) {
      reject(token, `character set ${token.value} is not supported in a restore (use utf8mb4)`);
    }
  }

  /** A USE, CREATE DATABASE or ALTER DATABASE name: the target, or the dump's one source. */
  private sourceName(
    name: string,
    token: Token,
    reject: (token: Token | undefined, reason: string) => never,
    verb: string,
  ): void {
    if (name === this.ctx.target) return;
    const lower = name.toLowerCase();
    if (this.foreign.has(lower)) {
      reject(token, `the dump ${verb} database ${name}, which is not this customer's`);
    }
    if (this.source === undefined) this.source = name;
    else if (this.source !== name) {
      reject(token, `the dump ${verb} a second database (${name}); restore one database at a time`);
    }
  }
}

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
const ROWS = new RegExp(ROW, 'g');

function isPlainInsert(text: string): boolean {
  return text.startsWith('INSERT ') && PLAIN_INSERT.test(text);
}

function nameAt(tokens: Token[], at: number): Token | undefined {
  const t = tokens[at];
  return t && (t.type === 'word' || t.type === 'qid') ? t : undefined;
}

/** `x` in `x.y` (a schema or table qualifier), not a user or system variable. */
function isQualifier(tokens: Token[], j: number): boolean {
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
function isStatementStart(tokens: Token[], j: number, from: number): boolean {
  if (j === from) return true;
  const prev = tokens[j - 1]!;
  if (prev.type === 'punct') return prev.value === ';' || prev.value === ':';
  if (prev.type !== 'word') return false;
  return ['BEGIN', 'THEN', 'ELSE', 'DO', 'LOOP', 'REPEAT', 'ATOMIC', 'ROW'].includes(prev.upper);
}

/** The variable in `@@name`, `@@session.name` or `@@local.name`, or undefined. */
function sysvarName(value: Token[]): string | undefined {
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
function assignmentEnd(tokens: Token[], at: number): number | undefined {
  if (tokens[at]?.value === '=') return at + 1;
  if (tokens[at]?.value === ':' && tokens[at + 1]?.value === '=') return at + 2;
  return undefined;
}

function quoteName(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}
