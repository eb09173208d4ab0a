/**
 * The repository URL of an owner on a target: the identity of a repository, safe to store and
 * to show. How restic reaches it (credentials in the environment, CA files) is the host's
 * (src/host/locate.ts).
 */
import { join } from 'node:path';
import { sameServer } from './origin.js';
import type { Owner, Target } from './schema.js';

/** The rclone remote name; only ever defined through environment variables of one process. */
export const FTP_REMOTE = 'HVFTP';

/** The repository URL alone: the identity of a repository, safe to store and to show. */
export function repositoryUrl(target: Target, owner: Owner): string {
  switch (target.kind) {
    case 'local':
      return join(target.path, owner);
    case 's3':
      return `s3:${target.endpoint}/${[target.bucket, target.prefix, owner].filter(Boolean).join('/')}`;
    case 'ftp':
      return `rclone:${FTP_REMOTE.toLowerCase()}:${[target.baseDir, owner].filter(Boolean).join('/')}`;
    case 'vault':
      // rclone's --private-repos confines a user to paths below its own name.
      return `rest:${target.url}/${target.user}/${owner}`;
  }
}

/**
 * Whether two targets hold the same repositories: the same place on the same server. A target
 * record changed within its place keeps its id (the repositories there stay reachable through
 * it); one moved elsewhere is a new record.
 */
export function sameLocation(a: Target, b: Target): boolean {
  return repositoryUrl(a, 'server') === repositoryUrl(b, 'server') && sameServer(a, b);
}
