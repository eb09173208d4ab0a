/**
 * Session settings in a dump: which SETs are allowed, which user variables provably hold a saved
 * setting, and the guards the server runs where no reading of the dump can tell.
 */
import { SAFE_CHARSETS, UNSAFE_SQL_MODES } from './policy.js';
import { assignmentEnd, literal, sysvarName, type Token } from './tokenizer.js';

/**
 * Sent before the dump: the sanitizer's checks read quotes the way the server does by default, so the
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
export const SQL_MODE_GUARD = `SET SESSION sql_mode = CASE WHEN ${[...UNSAFE_SQL_MODES]
  .map((mode) => `FIND_IN_SET('${mode}', @@SESSION.sql_mode)`)
  .join(' + ')} > 0 THEN 'HOSTVAULT_REFUSED_SQL_MODE' ELSE @@SESSION.sql_mode END`;
export const CHARSET_GUARD = `SET SESSION character_set_client = CASE WHEN @@SESSION.character_set_client IN (${[
  ...SAFE_CHARSETS,
]
  .filter((c) => c !== 'default')
  .map((c) => `'${c}'`)
  .join(', ')}) THEN @@SESSION.character_set_client ELSE 'hostvault_refused' END`;
/** What the server says when a guard refused. */
export const GUARD_REFUSAL = /HOSTVAULT_REFUSED_SQL_MODE|hostvault_refused/;

/**
 * What a dump's SET statements did to its session so far. The sanitizer keeps one for the whole
 * dump: a variable saved in one statement may be used to restore a setting many statements later.
 */
export class SessionSettings {
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

  /** A new statement: no guards yet; `lineOf` tells the dump line of its tokens. */
  begin(lineOf: (token: Token | undefined) => number): void {
    this.guards = new Set();
    this.lineOf = lineOf;
  }

  /** Guards to send after the statement being processed, each a statement of its own. */
  get pendingGuards(): ReadonlySet<string> {
    return this.guards;
  }

  /**
   * Every user variable named between `from` and `to` may have been assigned there (`SELECT …
   * INTO @v`, `@v := …`), so none of them holds a saved setting any more.
   */
  forgetVariables(tokens: Token[], from: number, to: number, body: boolean): void {
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

  /** Session settings only, and none that changes how the following statements are lexed. */
  checkSet(
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
}
