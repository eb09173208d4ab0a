/**
 * What a database dump may contain: the schemas, character sets, sql_mode flags, words,
 * engines and statement kinds the sanitizer allows or refuses.
 */

export const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'];
/** Character sets in which no byte of a multibyte character is an ASCII byte. */
export const SAFE_CHARSETS = new Set([
  'utf8',
  'utf8mb3',
  'utf8mb4',
  'latin1',
  'ascii',
  'binary',
  'default',
]);
/** sql_mode flags that change how statements are lexed or parsed. */
export const UNSAFE_SQL_MODES = new Set([
  'NO_BACKSLASH_ESCAPES',
  'ANSI_QUOTES',
  'ANSI',
  'DB2',
  'MAXDB',
  'MSSQL',
  'ORACLE',
  'POSTGRESQL',
]);
export const OBJECT_KEYWORDS = new Set(['VIEW', 'TRIGGER', 'PROCEDURE', 'FUNCTION', 'EVENT']);

/** Word sequences refused anywhere in a statement (outside quotes). */
export const DENIED_SEQUENCES: string[][] = [
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
export const DENIED_ENGINES = new Set(['CONNECT', 'FEDERATED', 'FEDERATEDX', 'SPIDER']);
/** Words refused where a statement can start (they are common column names elsewhere). */
export const DENIED_AT_START = new Set([
  'SHUTDOWN',
  'KILL',
  'FLUSH',
  'RESET',
  'PURGE',
  'USE',
  'CALL',
]);
/** Statement kinds a dump may contain at its top level. */
export const PLAIN_KINDS = new Set([
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
