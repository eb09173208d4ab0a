/**
 * First start: a service nobody can sign in to is useless, so if no administrator exists one named
 * `admin` is created, with the password from HOSTVAULT_ADMIN_PASSWORD or a random one that is
 * printed once. The password is never stored in clear or logged anywhere else.
 */
import { randomBytes } from 'node:crypto';
import { AuthInputError, MIN_PASSWORD_LENGTH, type AuthService } from './auth-service.js';

export interface BootstrapOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the generated password is printed; stdout by default. */
  print?: (text: string) => void;
}

export type BootstrapResult =
  { created: false } | { created: true; username: string; passwordSource: 'env' | 'generated' };

export const BOOTSTRAP_USERNAME = 'admin';

export async function ensureAdmin(
  auth: AuthService,
  opts: BootstrapOptions = {},
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
  try {
    await auth.createUser({ username: BOOTSTRAP_USERNAME, password, role: 'admin' });
  } catch (error) {
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
  if (given === undefined) {
    print(
      `Created administrator "${BOOTSTRAP_USERNAME}" with password: ${password}\n` +
        'It is shown only this once: sign in and keep it somewhere safe.',
    );
    return { created: true, username: BOOTSTRAP_USERNAME, passwordSource: 'generated' };
  }
  print(
    `Created administrator "${BOOTSTRAP_USERNAME}" with the password from HOSTVAULT_ADMIN_PASSWORD.`,
  );
  return { created: true, username: BOOTSTRAP_USERNAME, passwordSource: 'env' };
}
