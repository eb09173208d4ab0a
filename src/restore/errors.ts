/**
 * Restore failures a customer or an operator can act on. Every refusal happens before anything
 * on disk changes, and its message names the path and the reason.
 */
export type RestoreErrorKind =
  /** A relative path, `..`, `.`, a NUL byte or a trailing slash. */
  | 'invalid-path'
  /** The path is not inside any of the customer's areas. */
  | 'outside-confinement'
  /** A component of the path is a symbolic link (possibly planted by the customer). */
  | 'symlink'
  /** The path exists but has the wrong type (a file where a directory is expected, a mount). */
  | 'wrong-type'
  /** The live path (or its directory) does not exist. */
  | 'missing'
  /** The snapshot does not contain the requested path. */
  | 'not-in-snapshot'
  /** No root-controlled directory on the area's filesystem to stage the restore in. */
  | 'no-staging'
  /** Another restore of the same job id is under way or was interrupted and not recovered. */
  | 'busy'
  /** The live data changed during the restore in a way that makes the swap unsafe. */
  | 'changed'
  | 'canceled'
  | 'failed';

export class RestoreError extends Error {
  readonly kind: RestoreErrorKind;

  constructor(kind: RestoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RestoreError';
    this.kind = kind;
  }
}

export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}
