/**
 * A database's views, triggers, routines and events, read as the server shows them (`SHOW
 * CREATE …`) and written back as SQL. A restore needs this because none of them can follow its
 * tables from one database into another: RENAME TABLE refuses a table with triggers ("Trigger in
 * wrong schema") and a view ("Changing schema … is not allowed"), and routines and events have
 * no RENAME at all. So the swap reads them from the staging database, and the live database's
 * own for the way back, and creates them where they belong.
 *
 * Definitions are kept as bytes (one character per byte) in the character set they were created
 * with, read with `character_set_results = binary`, and written back under that same
 * character_set_client, sql_mode, collation and (for events) time zone: as mariadb-dump does, so
 * that a definition holding text in latin1 comes back with the same characters.
 */
import { quoteIdent, quoteString, runSql } from './client.js';
import { tokenize } from './sanitize/index.js';
import type { MariaDbConnection } from './types.js';

export type ObjectKind = 'procedure' | 'function' | 'view' | 'trigger' | 'event';

export interface DatabaseObject {
  kind: ObjectKind;
  name: string;
  /** The CREATE statement, bytes in `charset`, names unqualified where the server allows. */
  create: string;
  charset: string;
  collation: string;
  /** The sql_mode it was created under (not kept for views). */
  sqlMode?: string;
  /** Events: the time zone its schedule is read in. */
  timeZone?: string;
  /** Events: the status the CREATE statement gives it. */
  createdStatus?: EventStatus;
  /** Events: the status it is to have (when a restore created it disabled). */
  status?: EventStatus;
}

export type EventStatus = 'ENABLE' | 'DISABLE' | 'DISABLE ON SLAVE';

/** Creation order: views may call routines, and may read views created before them. */
const ORDER: ObjectKind[] = ['procedure', 'function', 'view', 'trigger', 'event'];

/** Every view, trigger, procedure, function and event of a database, in creation order. */
export async function readObjects(
  connection: MariaDbConnection,
  database: string,
): Promise<DatabaseObject[]> {
  const db = quoteString(database);
  const list = await runSql(
    connection,
    `SELECT 'view', TABLE_NAME, '' FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ${db};
     SELECT 'trigger', TRIGGER_NAME, '' FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ${db}
      ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER;
     SELECT LOWER(ROUTINE_TYPE), ROUTINE_NAME, '' FROM information_schema.ROUTINES
      WHERE ROUTINE_SCHEMA = ${db} AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION') ORDER BY 1, 2;
     SELECT 'event', EVENT_NAME, STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ${db}
      ORDER BY EVENT_NAME;`,
  );
  if (list.length === 0) return [];
  // Names go into a byte script read as utf8mb4.
  const bytes = (name: string): string => Buffer.from(quoteIdent(name), 'utf8').toString('latin1');
  const shows = list.map(([kind, name]) => `SHOW CREATE ${kind!.toUpperCase()} ${bytes(name!)};`);
  const rows = await runSql(
    connection,
    `SET SESSION character_set_results = binary;\n${shows.join('\n')}`,
    { database, bytes: true },
  );
  if (rows.length !== list.length) {
    throw new Error(
      `The definitions of ${database}'s views, triggers, routines and events could not be read.`,
    );
  }
  const objects = list.map(([kind, name, status], i): DatabaseObject => {
    const row = rows[i]!;
    switch (kind) {
      case 'view':
        // View, Create View, character_set_client, collation_connection
        return { kind, name: name!, create: row[1]!, charset: row[2]!, collation: row[3]! };
      case 'trigger':
        // Trigger, sql_mode, SQL Original Statement, character_set_client, collation_connection, …
        return {
          kind,
          name: name!,
          sqlMode: row[1]!,
          create: row[2]!,
          charset: row[3]!,
          collation: row[4]!,
        };
      case 'event': {
        // Event, sql_mode, time_zone, Create Event, character_set_client, collation_connection, …
        const created = EVENT_STATUS[status!] ?? 'ENABLE';
        return {
          kind,
          name: name!,
          sqlMode: row[1]!,
          timeZone: row[2]!,
          create: row[3]!,
          charset: row[4]!,
          collation: row[5]!,
          createdStatus: created,
          status: created,
        };
      }
      default:
        // Procedure|Function, sql_mode, Create …, character_set_client, collation_connection, …
        return {
          kind: kind as 'procedure' | 'function',
          name: name!,
          sqlMode: row[1]!,
          create: row[2]!,
          charset: row[3]!,
          collation: row[4]!,
        };
    }
  });
  return inCreationOrder(objects);
}

const EVENT_STATUS: Record<string, EventStatus> = {
  ENABLED: 'ENABLE',
  DISABLED: 'DISABLE',
  SLAVESIDE_DISABLED: 'DISABLE ON SLAVE',
};

/** Routines, then views (each after the views it reads), triggers, events. */
function inCreationOrder(objects: DatabaseObject[]): DatabaseObject[] {
  const byKind = (kind: ObjectKind) => objects.filter((o) => o.kind === kind);
  const views = byKind('view');
  const ordered: DatabaseObject[] = [];
  const placed = new Set<string>();
  // A view reads another when it names it (quoted: SHOW CREATE quotes every name).
  const reads = (view: DatabaseObject, other: DatabaseObject): boolean => {
    const body = view.create.slice(view.create.indexOf(' AS '));
    return body.includes(bytesQuoted(other.name));
  };
  while (ordered.length < views.length) {
    const ready = views.filter(
      (v) =>
        !placed.has(v.name) && views.every((w) => w === v || placed.has(w.name) || !reads(v, w)),
    );
    // A cycle is only a name that happens to appear twice; keep the server's order then.
    const next = ready.length > 0 ? ready : views.filter((v) => !placed.has(v.name)).slice(0, 1);
    for (const v of next) {
      placed.add(v.name);
      ordered.push(v);
    }
  }
  return ORDER.flatMap((kind) => (kind === 'view' ? ordered : byKind(kind)));
}

function bytesQuoted(name: string): string {
  return Buffer.from(quoteIdent(name), 'utf8').toString('latin1');
}

/**
 * The text with every qualifier naming database `from` (`from`.`x`) naming `to` instead; only
 * qualifiers, never text in quotes.
 */
export function requalify(text: string, from: string, to: string): string {
  if (!text.includes(from)) return text;
  const tokens = tokenize(text);
  let out = text;
  for (let j = tokens.length - 3; j >= 0; j--) {
    const t = tokens[j]!;
    if (
      (t.type === 'qid' || t.type === 'word') &&
      t.value === from &&
      tokens[j + 1]?.type === 'punct' &&
      tokens[j + 1]?.value === '.' &&
      tokens[j - 1]?.value !== '.'
    ) {
      out = `${out.slice(0, t.start)}${quoteIdent(to)}${out.slice(t.end)}`;
    }
  }
  return out;
}

export interface ScriptOptions {
  /** Qualifiers naming this database are pointed at the one the script runs in. */
  from?: { database: string; to: string };
}

/**
 * SQL (bytes) that creates the objects in the current database, replacing any of the same name,
 * each under its own settings, which are put back at the end. It reads the same through the
 * `mariadb` client and through the dump check (sanitize.ts), so it also ends a safety dump.
 */
export function objectScript(objects: DatabaseObject[], options: ScriptOptions = {}): string {
  if (objects.length === 0) return '';
  const texts = objects.map((o) =>
    options.from ? requalify(o.create, options.from.database, options.from.to) : o.create,
  );
  let delimiter = ';;';
  for (let n = 0; texts.some((t) => t.includes(delimiter)); n++) delimiter = `;;${n}$$;;`;
  const lines: string[] = [`DELIMITER ${delimiter}`];
  const add = (sql: string): void => {
    lines.push(`${sql} ${delimiter}`);
  };
  add('SET @hostvault_saved_sql_mode = @@sql_mode');
  add('SET @hostvault_saved_cs_client = @@character_set_client');
  add('SET @hostvault_saved_cs_results = @@character_set_results');
  add('SET @hostvault_saved_col_connection = @@collation_connection');
  add('SET @hostvault_saved_time_zone = @@time_zone');
  objects.forEach((object, i) => {
    add(`SET character_set_client = ${charsetName(object.charset)}`);
    add(`SET character_set_results = ${charsetName(object.charset)}`);
    add(`SET collation_connection = ${charsetName(object.collation)}`);
    if (object.sqlMode !== undefined) add(`SET sql_mode = ${quoteString(object.sqlMode)}`);
    if (object.timeZone !== undefined) add(`SET time_zone = ${quoteString(object.timeZone)}`);
    if (object.kind === 'trigger') {
      add(`DROP TRIGGER IF EXISTS ${bytesQuoted(object.name)}`);
      add(texts[i]!);
    } else {
      add(texts[i]!.replace(/^CREATE /, 'CREATE OR REPLACE '));
    }
    if (object.kind === 'event' && object.status && object.status !== object.createdStatus) {
      add(`ALTER EVENT ${bytesQuoted(object.name)} ${object.status}`);
    }
  });
  add('SET sql_mode = @hostvault_saved_sql_mode');
  add('SET character_set_client = @hostvault_saved_cs_client');
  add('SET character_set_results = @hostvault_saved_cs_results');
  add('SET collation_connection = @hostvault_saved_col_connection');
  add('SET time_zone = @hostvault_saved_time_zone');
  lines.push('DELIMITER ;', '');
  return lines.join('\n');
}

/** SQL dropping objects by kind and name (absent ones are skipped). */
export function dropScript(objects: Pick<DatabaseObject, 'kind' | 'name'>[]): string {
  return objects
    .map((o) => `DROP ${o.kind.toUpperCase()} IF EXISTS ${bytesQuoted(o.name)};\n`)
    .join('');
}

/** A character set or collation name as the server gave it; anything else is refused. */
function charsetName(name: string): string {
  if (!/^\w+$/.test(name)) throw new Error(`"${name.slice(0, 40)}" is not a character set name.`);
  return name;
}
