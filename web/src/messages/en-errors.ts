/**
 * The API's error codes in English (src/errors/codes.ts lists them; src/api/error-catalog.test.ts
 * checks that every one has a text here). A text is a string, or a function of the params the
 * API sends with the code. A German catalog gives the same keys (`ErrorTexts`).
 */
export type ErrorParams = Readonly<Record<string, string | number>>;
export type ErrorText = string | ((params: ErrorParams) => string);

const p = (params: ErrorParams, key: string): string => String(params[key] ?? '');
const label = (params: ErrorParams): string => p(params, 'label') || 'This field';
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export const enErrors = {
  not_found: 'Not found.',
  'validation.failed': 'Please check the highlighted fields.',
  'request.invalid_json': 'The request body is not valid JSON.',
  'request.empty_body': 'The request body is empty; send a JSON object.',
  'request.too_large': (x) => `The request body is too large: at most ${p(x, 'maxBytes')} bytes.`,
  'request.unsupported_media_type':
    'Send the request body as JSON (Content-Type: application/json).',
  'request.unreadable': 'The request could not be read.',
  'request.id_mismatch': (x) => `The ID must be "${p(x, 'id')}", as in the address, or left out.`,
  internal: 'Something went wrong on our side. Please try again later.',

  'auth.sign_in_required': 'Please sign in.',
  'auth.token_invalid': 'The API token is not valid.',
  'auth.csrf_invalid': 'Your session could not confirm this request. Please reload the page.',
  'auth.admin_only': 'Only an administrator may do this.',
  'auth.customer_only': 'Only customers have databases and mailboxes of their own.',
  'auth.wrong_credentials': 'Wrong username or password.',
  'auth.rate_limited': (x) =>
    `Too many failed sign-ins. Please try again in ${plural(Number(x.minutes ?? 1), 'minute', 'minutes')}.`,
  'auth.link_invalid': 'This sign-in link is not valid, was used already or has expired.',
  'auth.token_read_only': 'This API token may only read: it cannot change anything.',

  'user.username_invalid':
    'The user name may hold letters, digits, dots, dashes, underscores and @, up to 100, starting with a letter or digit.',
  'user.password_too_short': (x) =>
    `The password must be at least ${p(x, 'minLength')} characters long.`,
  'user.customer_required': 'Choose the customer this user belongs to.',
  'user.admin_has_no_customer': 'An administrator belongs to no customer.',
  'user.username_taken': 'A user with this name exists already.',
  'user.current_password_wrong': 'Your current password is not right.',
  'user.cannot_delete_self': 'You cannot delete the user you are signed in as.',
  'user.last_admin': 'The last administrator cannot be deleted.',
  'token.name_invalid': 'The name must be 1 to 100 characters.',
  'token.customer_mismatch': 'A customer token needs the customer; an admin token has none.',

  'customer.unknown': (x) => `There is no customer "${p(x, 'customerId')}".`,
  'package.in_use': (x) =>
    `The package "${p(x, 'packageId')}" is used by ${plural(Number(x.count ?? 0), 'customer', 'customers')} (${p(x, 'customerIds')}). Move them to another package first.`,
  'package.no_backups': 'Your hosting package does not include backups.',
  'package.frequency_not_included': (x) =>
    `Your package does not include ${p(x, 'frequency')} backups; available: ${p(x, 'available')}.`,
  'package.retention_limit': (x) =>
    `Your package allows at most ${plural(Number(x.max ?? 0), 'snapshot', 'snapshots')} per schedule.`,
  'package.schedule_limit': (x) =>
    `Your package allows at most ${plural(Number(x.max ?? 0), 'schedule', 'schedules')}.`,
  'inventory.invalid': 'This value is not valid for the inventory.',

  'schedule.customer_required': 'Choose a customer.',
  'schedule.server_wide_has_no_customer': 'An entire-server schedule belongs to no customer.',
  'schedule.server_follows_customer':
    "Only an entire-server schedule names a server: one customer's schedule runs on that customer's server.",
  'schedule.running': 'This schedule is running a backup. Cancel it or wait until it has finished.',
  'schedule.copy_same_target':
    "The second copy must go to another place than the schedule's own target.",
  'lifecycle.terminated':
    'This customer is terminated; their backups are kept until they are purged.',
  'lifecycle.purged': "This customer's backups were purged.",
  'lifecycle.rewrite_unsupported': (x) =>
    `Removing a path from existing snapshots needs restic 0.15 or newer; this server runs ${p(x, 'version')}.`,
  'lifecycle.path_invalid': (x) =>
    `${p(x, 'path')} is not a path in the customer's backed-up areas. Give the full path as the snapshots hold it.`,

  'target.address_refused':
    'Backups cannot go to this server: it leads to this server or to a private network. Enter the address of a server on the internet.',
  'target.vault_provider_only':
    'A vault is set up by your hosting provider. Choose another backup destination, or ask your provider to set this schedule up with their vault.',
  'target.host_not_found': 'The server name could not be found. Check the spelling of the address.',
  'target.secret_required': (x) =>
    `Enter the ${x.secret === 'secretAccessKey' ? 'secret key' : 'password'} again.`,
  'target.test_rate_limited': (x) =>
    `You have started ${p(x, 'limit')} connection tests within a minute. Try again in ${p(x, 'retryAfterSeconds')} s.`,
  'target.tests_busy': 'Other connection tests are running. Try again in a moment.',

  'job.finished': 'This job has already finished.',
  'job.on_other_worker': 'This job runs on another worker and cannot be canceled from here.',

  'server.enrollment_invalid':
    'This enrollment token is unknown, already used or expired. Create a new one in the admin area.',
  'server.revoked': (x) => `Server ${p(x, 'server')} is revoked.`,
  'server.key_invalid':
    'The agent sent no valid public NATS key, or another server already has it.',
  'server.unknown': (x) => `There is no server ${p(x, 'server')}.`,
  'server.fleet_not_configured':
    'This service manages no fleet: enrolling and revoking servers needs a controller with its NATS authorization file set.',

  'server.move_same_server': (x) =>
    `Customer ${p(x, 'customer')} is already on server ${p(x, 'server')}.`,
  'server.move_local_target': (x) =>
    `Schedule "${p(x, 'schedule')}" of customer ${p(x, 'customer')} backs up to a directory on server ${p(x, 'server')}: another server cannot reach that repository. Change the schedule's target to S3 or FTP first.`,
  'server.move_jobs_active': (x) =>
    `Customer ${p(x, 'customer')} has ${p(x, 'jobs')} job(s) waiting or running. Wait until they have finished (or cancel them), then move the customer.`,
  'server.recover_online': (x) =>
    `The agent of server ${p(x, 'server')} is online: recovery is for a lost server. Move its customers one by one, or revoke it first.`,
  'server.recover_no_snapshot': (x) =>
    `Customer ${p(x, 'customer')} has no snapshot to restore from.`,

  'snapshot.ambiguous_id': (x) =>
    `Snapshot ID ${p(x, 'ref')} names more than one snapshot; give more of it.`,
  'snapshot.keep_limit': (x) =>
    `Your package lets you keep at most ${plural(Number(x.max ?? 0), 'snapshot', 'snapshots')}. Remove "Keep" from another snapshot first.`,
  'snapshot.hold_expiry_past': 'The end of the hold must be in the future.',
  'browse.invalid_path': 'This path is not valid. Choose a file or folder as browsing shows it.',
  'browse.invalid_snapshot_id': 'This snapshot ID is not valid.',
  'browse.invalid_page': 'This page of the folder does not exist.',
  'browse.invalid_query':
    'Search for part of one file or folder name (at most 200 characters, without "/").',
  'browse.outside_roots': 'This path is outside the areas of this snapshot.',
  'browse.not_a_directory': 'This is a file, not a folder.',
  'browse.not_a_file': 'This is not a file.',
  'browse.no_content':
    'This is a link, pipe, socket or device file: it has no content of its own to download.',
  'browse.not_open': 'This snapshot cannot be browsed at the moment. Please try again.',
  'download.choose_entry': 'Choose a file or a folder to download.',
  'download.failed': (x) => `The download could not be read from the backup. ${p(x, 'reason')}`,

  'restore.limit_reached': (x) =>
    Number(x.limit) === 1
      ? 'You already have a restore waiting or running. Please wait until it has finished, then start this one.'
      : `You already have ${p(x, 'limit')} restores waiting or running. Please wait until one has finished, then start this one.`,
  'restore.content_missing': (x) =>
    `This snapshot contains no ${{ web: 'web files', db: 'databases', mail: 'email' }[p(x, 'content')] ?? p(x, 'content')}.`,
  'restore.everything_needs_full': '"Restore everything" is only possible from a Full backup.',
  'restore.database_unknown': 'Choose one of your databases.',
  'restore.mailbox_unknown': 'Choose one of your mailboxes.',
  'restore.path_invalid': 'Choose a file from this snapshot, by its path as browsing shows it.',
  'restore.safety_mismatch': (x) =>
    `This safety copy can only restore what it saved: ${p(x, 'saved')}.`,

  'drill.differs': (x) =>
    `The restore drill found ${p(x, 'count')} difference(s) from the backup: ${p(x, 'first')}`,
  'drill.snapshot_gone': 'This snapshot is no longer kept, so it cannot be drilled.',

  'field.required': (x) => `${label(x)} is required.`,
  'field.wrong_type': (x) => `${label(x)} has the wrong type of value.`,
  'field.too_short': (x) => `${label(x)} must be at least ${p(x, 'minimum')} characters.`,
  'field.too_long': (x) => `${label(x)} must be at most ${p(x, 'maximum')} characters.`,
  'field.too_small': (x) => `${label(x)} must be at least ${p(x, 'minimum')}.`,
  'field.too_big': (x) => `${label(x)} must be at most ${p(x, 'maximum')}.`,
  'field.too_few': (x) => `${label(x)} needs at least ${p(x, 'minimum')} entries.`,
  'field.too_many': (x) => `${label(x)} takes at most ${p(x, 'maximum')} entries.`,
  'field.not_allowed': (x) => `${label(x)} must be one of: ${p(x, 'values')}.`,
  'field.bad_format': (x) => `${label(x)} is not in the right format.`,
  'field.unknown': (x) => `${label(x)} is not a known field.`,
  'field.invalid': (x) => `${label(x)} is not valid.`,
} satisfies Record<string, ErrorText>;

/** The keys a catalog of another language must give, each as a string or a function of params. */
export type ErrorTexts = Record<keyof typeof enErrors, ErrorText>;
