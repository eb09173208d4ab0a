/**
 * Who may reach a snapshot: its customer (in a repository of their own) and admins. Every route
 * about one snapshot asks here, so they all answer the one 404 alike. A snapshot is reached
 * through its repository and that repository's target, never its schedule: the snapshots of a
 * schedule deleted with "keep snapshots" are browsed, downloaded and restored like any.
 */
import type { Authenticated } from '../auth/index.js';
import type { Viewer } from '../auth/viewer.js';
import type { RepositoryPlace, RepositoryService } from '../repository/repository-service.js';
import type { SnapshotRow, Store } from '../store/index.js';
import { findSnapshotByRef } from '../repository/snapshot-records.js';
import { notFound } from './errors.js';

export function viewerOf(principal: Authenticated): Viewer {
  return principal.role === 'customer' && principal.customerId
    ? { role: 'customer', customerId: principal.customerId }
    : { role: 'admin' };
}

/**
 * The snapshot and its repository with the target it is reached through, if the caller may see
 * them. Server-wide snapshots are the provider's (their repository's owner is "server"): a
 * customer gets the same 404 as for a missing id.
 */
export async function reachSnapshot(
  deps: { store: Store; repositories: Pick<RepositoryService, 'place'> },
  principal: Authenticated,
  repositoryId: number,
  snapshotId: string,
): Promise<{ snapshot: SnapshotRow; place: RepositoryPlace }> {
  const viewer = viewerOf(principal);
  const snapshot = await findSnapshotByRef(deps.store, repositoryId, snapshotId, {
    customerId: viewer.role === 'customer' ? viewer.customerId : undefined,
  });
  if (!snapshot) throw notFound();
  // A repository whose target is unknown is a RepositoryError: a NotFoundError, the one 404.
  const place = await deps.repositories.place(snapshot.repository_id);
  if (viewer.role === 'customer' && place.owner !== viewer.customerId) throw notFound();
  return { snapshot, place };
}
