/**
 * Every code the service answers with: the API puts it beside the English message, and the web UI
 * looks its own text up by it (web/src/messages), so a code, once out, keeps its meaning. A new
 * condition gets a new code here; the API's status table (src/api/error-status.ts) and the web
 * UI's catalog are checked against this list, each by its own test.
 *
 * Codes are `area.condition`, lower case with underscores. `field.*` codes name what is wrong
 * with one field of a request; the others name a refusal as a whole.
 */
export const ERROR_CODES = [
  // ---- the request as a whole ----
  /** No such object, or not the caller's: one answer for both, byte for byte. */
  'not_found',
  /** One or more fields are wrong; `fields` lists them. */
  'validation.failed',
  'request.invalid_json',
  'request.empty_body',
  /** params: maxBytes */
  'request.too_large',
  'request.unsupported_media_type',
  'request.unreadable',
  /** params: id (the one in the path) */
  'request.id_mismatch',
  /** Anything unexpected; the details go to the service log only. */
  'internal',

  // ---- who is asking ----
  'auth.sign_in_required',
  'auth.token_invalid',
  'auth.csrf_invalid',
  'auth.admin_only',
  'auth.customer_only',
  'auth.wrong_credentials',
  /** params: retryAfterSeconds, minutes */
  'auth.rate_limited',
  'auth.link_invalid',
  'auth.token_read_only',

  // ---- users and API tokens (the admin area) ----
  'user.username_invalid',
  /** params: minLength */
  'user.password_too_short',
  'user.customer_required',
  'user.admin_has_no_customer',
  'user.username_taken',
  'user.current_password_wrong',
  'user.cannot_delete_self',
  'user.last_admin',
  'token.name_invalid',
  'token.customer_mismatch',

  // ---- customers, packages, the inventory ----
  /** params: customerId */
  'customer.unknown',
  /** params: packageId, count, customerIds (the first five, joined) */
  'package.in_use',
  /** The package of the customer offers no backups at all. */
  'package.no_backups',
  /** params: frequency, available (joined) */
  'package.frequency_not_included',
  /** params: max */
  'package.retention_limit',
  /** params: max */
  'package.schedule_limit',
  /** One problem of an inventory document or record; its message names it. */
  'inventory.invalid',

  // ---- schedules ----
  'schedule.customer_required',
  'schedule.server_wide_has_no_customer',
  /** A server named for a schedule that follows its customer (a customer's, or one customer's). */
  'schedule.server_follows_customer',
  'schedule.running',
  /** A second copy must go to another place than the schedule's own target. */
  'schedule.copy_same_target',

  // ---- the customer life cycle (src/lifecycle) ----
  /** The customer is terminated: suspend, terminate again or a final backup no longer apply. */
  'lifecycle.terminated',
  /** The customer's backups were purged. */
  'lifecycle.purged',
  /** Removing a path from snapshots needs restic 0.15+. params: version */
  'lifecycle.rewrite_unsupported',
  /** The path to remove is not an absolute path inside the customer's areas. params: path */
  'lifecycle.path_invalid',

  // ---- targets ----
  'target.address_refused',
  /** A customer entered a vault: only the provider points schedules at one. */
  'target.vault_provider_only',
  'target.host_not_found',
  /** params: secret ('password' | 'secretAccessKey') */
  'target.secret_required',
  /** params: limit, retryAfterSeconds */
  'target.test_rate_limited',
  /** params: retryAfterSeconds */
  'target.tests_busy',

  // ---- jobs ----
  'job.finished',
  'job.on_other_worker',

  // ---- the fleet's hosting servers ----
  /** An enrollment token unknown, already used or expired: one answer for all three. */
  'server.enrollment_invalid',
  /** params: server */
  'server.revoked',
  /** The agent's key is not a public NATS user key, or another server has it. */
  'server.key_invalid',
  /** params: server */
  'server.unknown',
  /** Enrollment and revocation need the controller's NATS authorization file. */
  'server.fleet_not_configured',
  /** params: customer, server (moving a customer to the server it is on) */
  'server.move_same_server',
  /** params: customer, schedule, server: a schedule backs up to a directory on the old server. */
  'server.move_local_target',
  /** params: customer, jobs: the customer has jobs waiting or running. */
  'server.move_jobs_active',
  /** params: server: recovery of a server whose agent still answers. */
  'server.recover_online',
  /** params: customer: a lost server's customer without a snapshot to restore from. */
  'server.recover_no_snapshot',

  // ---- snapshots, browsing and downloads ----
  /** params: ref */
  'snapshot.ambiguous_id',
  /** The customer marked as many snapshots "keep" as the package allows. params: max */
  'snapshot.keep_limit',
  /** A hold's expiry is not in the future. */
  'snapshot.hold_expiry_past',
  'browse.invalid_path',
  'browse.invalid_snapshot_id',
  'browse.invalid_page',
  'browse.invalid_query',
  'browse.outside_roots',
  'browse.not_a_directory',
  'browse.not_a_file',
  /** A link, pipe, socket or device file: nothing to download. */
  'browse.no_content',
  'browse.not_open',
  'download.choose_entry',
  /** params: reason (restic's words, in English) */
  'download.failed',

  // ---- restores ----
  /** params: limit */
  'restore.limit_reached',
  /** params: content ('web' | 'db' | 'mail') */
  'restore.content_missing',
  'restore.everything_needs_full',
  'restore.database_unknown',
  'restore.mailbox_unknown',
  /** The file path cannot be restored; the message says why. */
  'restore.path_invalid',
  /** params: saved (what the safety snapshot saved, in English) */
  'restore.safety_mismatch',

  // ---- restore drills ----
  /** A drill restored the snapshot but something differs. params: count, first (English) */
  'drill.differs',
  /** The snapshot to drill is no longer recorded (forgotten by retention). */
  'drill.snapshot_gone',

  // ---- one field of a request (zod's checks, in plain words) ----
  /** params: label */
  'field.required',
  /** params: label, expected */
  'field.wrong_type',
  /** params: label, minimum */
  'field.too_short',
  /** params: label, maximum */
  'field.too_long',
  /** params: label, minimum */
  'field.too_small',
  /** params: label, maximum */
  'field.too_big',
  /** params: label, minimum */
  'field.too_few',
  /** params: label, maximum */
  'field.too_many',
  /** params: label, values (joined) */
  'field.not_allowed',
  /** params: label, format */
  'field.bad_format',
  /** params: label */
  'field.unknown',
  /** params: label */
  'field.invalid',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(ERROR_CODES);
export const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && KNOWN.has(value);
