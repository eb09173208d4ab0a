/** How the admin pages word a list that could not be loaded. */
import { ApiError } from '../../api/client';
import { messageOf } from '../../components/states';
import { m } from '../../messages';

export function failure(error: unknown): string {
  return error instanceof ApiError && error.status === 404
    ? m.admin.missingEndpoint
    : m.admin.loadFailed(messageOf(error));
}
