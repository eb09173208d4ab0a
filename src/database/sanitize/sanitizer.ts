/** The sanitizer itself: each statement checked, rewritten, dropped or refused. */
import {
  DENIED_AT_START,
  DENIED_ENGINES,
  DENIED_SEQUENCES,
  OBJECT_KEYWORDS,
  PLAIN_KINDS,
  SYSTEM_SCHEMAS,
} from './policy.js';
import { isPlainInsert, ROWS } from './rows.js';
import { SessionSettings } from './settings.js';
import {
  isQualifier,
  isStatementStart,
  nameAt,
  quoteName,
  tokenize,
  type Token,
} from './tokenizer.js';
import {
  DumpRejectedError,
  type RawStatement,
  type SanitizeContext,
  type SanitizeStats,
} from './types.js';

interface Edit {
  start: number;
  end: number;
  text: string;
}

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
  /** What the dump's SET statements did so far (saved variables, pending guards). */
  private readonly settings = new SessionSettings();

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
    this.settings.begin(lineOf);

    let i = 0;
    let kept = 0;
    while (i < tokens.length) {
      if (tokens[i]!.value === ';' && tokens[i]!.type === 'punct') {
        i++;
        continue;
      }
      if (this.settings.pendingGuards.size > 0) {
        reject(
          tokens[i],
          'a statement after a SET of sql_mode or character_set_client from a variable must come after the next delimiter',
        );
      }
      const kind = this.classify(tokens, i);
      if (kind === 'object') {
        this.checkObject(tokens, i, tokens.length, edits, reject);
        this.settings.forgetVariables(tokens, i, tokens.length, true);
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
      if (kind !== 'SET') this.settings.forgetVariables(tokens, i, end, false);
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
    for (const guard of this.settings.pendingGuards) text += `;\n${guard}`;
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
        this.settings.checkSet(tokens, from + 1, to, reject);
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
