/**
 * First start: a service nobody can sign in to is useless, so if no administrator exists one named
 * `admin` is created, with the password from HOSTVAULT_ADMIN_PASSWORD or a random one written to
 * a file only the service's user can read (see secret-file.ts); what is printed says where it is,
 * never the password itself. The store keeps only its hash.
 */
import { randomBytes } from 'node:crypto';
import { AuthInputError, MIN_PASSWORD_LENGTH, type AuthService } from './auth-service.js';
import { prepareSecretFile } from './secret-file.js';

export interface BootstrapOptions {
  env?: NodeJS.ProcessEnv;
  /** Where a generated password is written, e.g. `<data dir>/initial-admin-password`. */
  passwordFile: string;
  /** Where the notice of what was done goes; stdout by default. */
  print?: (text: string) => void;
}

export type BootstrapResult =
  { created: false } | { created: true; username: string; passwordSource: 'env' | 'generated' };

export const BOOTSTRAP_USERNAME = 'admin';

export async function ensureAdmin(
  auth: AuthService,
  opts: BootstrapOptions,
): Promise<BootstrapResult> {
  if (await auth.hasAdmin()) return { created: false };
  const env = opts.env ?? process.env;
  const print = opts.print ?? ((text: string) => void process.stdout.write(`${text}\n`));
  const given = env.HOSTVAULT_ADMIN_PASSWORD;
  if (given !== undefined && given.length < MIN_PASSWORD_LENGTH) {
    throw new Error(
      `HOSTVAULT_ADMIN_PASSWORD is too short: use at least ${MIN_PASSWORD_LENGTH} characters`,
    );
  }
  const password = given ?? randomBytes(18).toString('base64url');
  // On disk before the user exists: an administrator whose password went nowhere would lock
  // everyone out. Put in place only once the user is ours, so a process that loses the race
  // below does not replace the winner's file.
  const file =
    given === undefined ? await prepareSecretFile(opts.passwordFile, `${password}\n`) : undefined;
  try {
    await auth.createUser({ username: BOOTSTRAP_USERNAME, password, role: 'admin' });
  } catch (error) {
    await file?.discard();
    // Another process starting at the same moment created it first: that is what we wanted.
    if (error instanceof AuthInputError && error.field === 'username' && (await auth.hasAdmin())) {
      return { created: false };
    }
    if (error instanceof AuthInputError && error.field === 'username') {
      throw new Error(
        `no administrator exists and the name "${BOOTSTRAP_USERNAME}" is taken by a customer user; create an administrator by hand`,
        { cause: error },
      );
    }
    throw error;
  }
  if (file) {
    await file.commit();
    print(
      `Created administrator "${BOOTSTRAP_USERNAME}"; its password is in ${opts.passwordFile} ` +
        `(readable by this user only). Sign in to the web UI as "${BOOTSTRAP_USERNAME}" with it, ` +
        'keep it somewhere safe, then delete the file.',
    );
    return { created: true, username: BOOTSTRAP_USERNAME, passwordSource: 'generated' };
  }
  print(
    `Created administrator "${BOOTSTRAP_USERNAME}" with the password from HOSTVAULT_ADMIN_PASSWORD.`,
  );
  return { created: true, username: BOOTSTRAP_USERNAME, passwordSource: 'env' };
}
