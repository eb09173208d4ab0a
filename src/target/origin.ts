/**
 * Who chose where a target points. The provider's own targets (entered in the admin area) may
 * lead anywhere, their private backup network included; a customer's must pass the address
 * policy (address-policy.ts) at every use.
 *
 * The schedule service marks each target it reads from the store with its origin, and the
 * repository service asks before it runs restic. The mark sits on the object, not in it: it is
 * never stored, sent or accepted from a request, and a copy loses it, so anything that is not
 * the very object the store handed out counts as a customer's and is checked.
 */
import type { Target } from './schema.js';

export type TargetOrigin = 'provider' | 'customer';

const providers = new WeakSet<Target>();

export function markOrigin<T extends Target>(target: T, origin: TargetOrigin): T {
  if (origin === 'provider') providers.add(target);
  return target;
}

export function chosenByProvider(target: Target): boolean {
  return providers.has(target);
}

/**
 * Whether two targets make restic connect to the same server: the origin of a target follows
 * who last chose its server, so an edit of the schedule's hour keeps it, a new host does not.
 */
export function sameServer(a: Target, b: Target): boolean {
  if (a.kind === 'local' && b.kind === 'local') return a.path === b.path;
  if (a.kind === 'ftp' && b.kind === 'ftp') return a.host === b.host && a.port === b.port;
  if (a.kind === 'vault' && b.kind === 'vault') return a.url === b.url;
  if (a.kind === 's3' && b.kind === 's3')
    // Without path-style URLs the bucket is part of the host name.
    return a.endpoint === b.endpoint && a.bucket === b.bucket && a.pathStyle === b.pathStyle;
  return false;
}

/** The origin of a target after an edit by `editor`, given the stored one and its origin. */
export function originAfterEdit(
  next: Target,
  stored: { target: Target; origin: TargetOrigin } | undefined,
  editor: TargetOrigin,
): TargetOrigin {
  return stored && sameServer(next, stored.target) ? stored.origin : editor;
}
