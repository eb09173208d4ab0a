import { sql, type Kysely } from 'kysely';
import { withIdColumn } from './portable.js';

/**
 * Sign-in: users, browser sessions, API tokens for the hosting panel, and the signed links it
 * opens the Backups page with. Session and API tokens are stored only as SHA-256 hashes, so a copy
 * of the store does not let anyone sign in; passwords are scrypt hashes.
 *
 * customer_id is not a foreign key to customers: the panel owns customers and may remove one
 * before its users, and a user of a customer that is gone simply sees nothing.
 */
// Kysely<unknown>: a migration describes the schema as it was when written, not today's types.
export async function up(db: Kysely<unknown>): Promise<void> {
  await withIdColumn(db, db.schema.createTable('users'))
    /** Stored lower-case: sign-in is case-insensitive on the name. */
    .addColumn('username', 'text', (col) => col.notNull().unique())
    /** `scrypt$1$<N>$<r>$<p>$<salt>$<hash>`, see src/auth/password.ts. */
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('role', 'text', (col) => col.notNull())
    .addColumn('customer_id', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addCheckConstraint('users_role_check', roleCheck())
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('token_hash', 'text', (col) => col.primaryKey())
    /** Null for a session opened with a signed link, which belongs to a customer, not a user. */
    .addColumn('user_id', 'integer', (col) => col.references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (col) => col.notNull())
    .addColumn('customer_id', 'text')
    .addColumn('csrf_token', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addCheckConstraint('sessions_role_check', roleCheck())
    .execute();
  await db.schema.createIndex('sessions_expires_idx').on('sessions').column('expires_at').execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();

  await withIdColumn(db, db.schema.createTable('api_tokens'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('role', 'text', (col) => col.notNull())
    .addColumn('customer_id', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('last_used_at', 'text')
    .addCheckConstraint('api_tokens_role_check', roleCheck())
    .execute();

  // Signed links are single use; their nonces are kept here (not in memory) until the link
  // expires, so a restart or a second API process cannot be used to replay one.
  await db.schema
    .createTable('signed_link_uses')
    .addColumn('nonce', 'text', (col) => col.primaryKey())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('signed_link_uses_expires_idx')
    .on('signed_link_uses')
    .column('expires_at')
    .execute();

  // Not auth, but found while load-testing the API this migration came with: the admin's
  // unfiltered history (newest first) had no index to walk and sorted the whole jobs table on
  // every page. SQLite appends the rowid (= id) to every index entry, so this one also serves the
  // `created_at desc, id desc` tie-break.
  await db.schema.createIndex('jobs_created_idx').on('jobs').column('created_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('jobs_created_idx').execute();
  await db.schema.dropTable('signed_link_uses').execute();
  await db.schema.dropTable('api_tokens').execute();
  await db.schema.dropTable('sessions').execute();
  await db.schema.dropTable('users').execute();
}

/** An admin belongs to no customer; a customer's principal always names one. */
function roleCheck() {
  return sql`(role = 'admin' and customer_id is null) or (role = 'customer' and customer_id is not null)`;
}
