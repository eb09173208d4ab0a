/**
 * The per-customer owner account `hv_<instance>_<customer>@<host>`: it owns (is the DEFINER of)
 * every view, trigger, routine and event a restore creates, and it has privileges on exactly that
 * customer's databases and nothing else. It is locked (no login) except while a restore imports a
 * dump as it, with a random password that exists only for that import.
 *
 * The instance id in the name keeps two services that share one MariaDB server (a fleet, two test
 * runs) from sharing, and cross-granting, one account per customer id. Versions before it named
 * the account `hostvault_<customer>` (the "legacy account"): objects restored then still name it
 * as their DEFINER, so it is never renamed or dropped, only kept locked (see README).
 */
import { createHash, randomBytes } from 'node:crypto';
import { grantPattern, quoteIdent, quoteString, runSql } from './client.js';
import { CUSTOMER_ID, DatabaseError, INSTANCE_ID, type MariaDbConnection } from './types.js';

export interface OwnerAccount {
  user: string;
  host: string;
  /** `` `user`@`host` `` for SQL. */
  sql: string;
}

export function ownerAccount(customerId: string, connection: MariaDbConnection): OwnerAccount {
  checkCustomerId(customerId);
  const instance = connection.instance;
  if (!instance || !INSTANCE_ID.test(instance)) {
    throw new DatabaseError(
      'invalid',
      'The service has no valid instance id, so it cannot name its database accounts.',
    );
  }
  return account(`hv_${instance}_${customerId}`, connection);
}

/** The name versions without an instance id gave the customer's account. */
export function legacyOwnerAccount(
  customerId: string,
  connection: MariaDbConnection,
): OwnerAccount {
  checkCustomerId(customerId);
  return account(`hostvault_${customerId}`, connection);
}

function checkCustomerId(customerId: string): void {
  if (!CUSTOMER_ID.test(customerId)) {
    throw new DatabaseError('invalid', `"${customerId.slice(0, 80)}" is not a valid customer id.`);
  }
}

function account(user: string, connection: MariaDbConnection): OwnerAccount {
  const host = connection.accountHost ?? 'localhost';
  return { user, host, sql: `${quoteIdent(user)}@${quoteIdent(host)}` };
}

/** mysql_native_password's stored form, so the plain password never reaches the server's logs. */
export function nativePasswordHash(password: string): string {
  const once = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(once).digest('hex').toUpperCase()}`;
}

export function randomPassword(): string {
  return randomBytes(24).toString('hex');
}

/**
 * Creates the account when missing (locked) and sets its privileges to exactly ALL (without
 * GRANT OPTION) on each of the customer's databases; any other privilege it has is revoked.
 */
export async function ensureOwner(
  connection: MariaDbConnection,
  account: OwnerAccount,
  databases: string[],
): Promise<void> {
  await runSql(
    connection,
    `CREATE USER IF NOT EXISTS ${account.sql} IDENTIFIED BY PASSWORD ${quoteString(
      nativePasswordHash(randomPassword()),
    )} ACCOUNT LOCK;`,
  );
  const grants = (await runSql(connection, `SHOW GRANTS FOR ${account.sql};`)).map(
    (row) => row[0] ?? '',
  );
  const wanted = new Map(databases.map((db) => [grantPattern(db), db]));
  const have = new Set<string>();
  let unexpected = false;
  const extra: string[] = [];
  for (const grant of grants) {
    if (/^GRANT USAGE ON \*\.\* TO /.test(grant)) continue;
    const m = /^GRANT ALL PRIVILEGES ON (`(?:[^`]|``)+`)\.\* TO [^ ]+$/.exec(grant);
    if (!m?.[1]) {
      unexpected = true;
      continue;
    }
    if (wanted.has(m[1])) have.add(m[1]);
    else extra.push(m[1]);
  }
  const statements: string[] = [];
  if (unexpected) {
    statements.push(`REVOKE ALL PRIVILEGES, GRANT OPTION FROM ${account.sql};`);
    have.clear();
  } else {
    for (const pattern of extra) {
      statements.push(`REVOKE ALL PRIVILEGES ON ${pattern}.* FROM ${account.sql};`);
    }
  }
  for (const pattern of wanted.keys()) {
    if (!have.has(pattern)) {
      statements.push(`GRANT ALL PRIVILEGES ON ${pattern}.* TO ${account.sql};`);
    }
  }
  if (statements.length > 0) await runSql(connection, statements.join('\n'));
}

/** Lets the account log in with a fresh password (for one import); returns the password. */
export async function unlockOwner(
  connection: MariaDbConnection,
  account: OwnerAccount,
): Promise<string> {
  const password = randomPassword();
  await runSql(
    connection,
    `ALTER USER ${account.sql} IDENTIFIED BY PASSWORD ${quoteString(
      nativePasswordHash(password),
    )} ACCOUNT UNLOCK;`,
  );
  return password;
}

/** Locks the account again under a password nobody knows, and ends its sessions. */
export async function lockOwner(
  connection: MariaDbConnection,
  account: OwnerAccount,
): Promise<void> {
  await runSql(
    connection,
    `ALTER USER ${account.sql} IDENTIFIED BY PASSWORD ${quoteString(
      nativePasswordHash(randomPassword()),
    )} ACCOUNT LOCK;`,
  );
  await killSessions(connection, account);
}

/** Ends every connection of the account (an import whose client was killed). */
export async function killSessions(
  connection: MariaDbConnection,
  account: OwnerAccount,
): Promise<void> {
  const rows = await runSql(
    connection,
    `SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ${quoteString(account.user)}
      AND (HOST = ${quoteString(account.host)} OR HOST LIKE ${quoteString(`${account.host}:%`)});`,
  );
  const ids = rows.map((r) => r[0]).filter((id): id is string => !!id && /^\d+$/.test(id));
  if (ids.length === 0) return;
  for (const id of ids) {
    try {
      await runSql(connection, `KILL CONNECTION ${id};`);
    } catch (error) {
      // The session may have ended between the query and the KILL.
      if (!/Unknown thread id/i.test((error as Error).message)) throw error;
    }
  }
}
