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
export { GUARD_REFUSAL, SESSION_PRELUDE } from './settings.js';
export { DumpSanitizer } from './sanitizer.js';
export { isCommentSpace, splitStatements } from './statements.js';
export { tokenize } from './tokenizer.js';
export {
  DumpRejectedError,
  type RawStatement,
  type SanitizeContext,
  type SanitizeStats,
} from './types.js';
