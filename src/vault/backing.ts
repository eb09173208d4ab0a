/**
 * The real target behind a vault, seen two ways: as the rclone remote that `rclone serve
 * restic` serves (agents' side, append-only), and as restic's own location of one agent's
 * repository (the vault's maintenance, full rights). Both put agent `a`'s repository of owner
 * `o` at `<target root>/a/o`, the path `--private-repos` gives it.
 */
import { writeCaCert } from '../host/ca-certs.js';
import { locate, type Location } from '../host/locate.js';
import { rcloneObscure } from '../host/obscure.js';
import type { DirectTarget, Owner } from '../target/schema.js';

/** The targets a vault can front: the kinds a schedule has, never another vault. */
export type BackingTarget = DirectTarget;

/** rclone's name for the backing remote; defined only in the vault's rclone's environment. */
const REMOTE = 'HVVAULT';

export interface RcloneRemote {
  /** rclone's remote path: a directory, or `HVVAULT:<path>`. */
  path: string;
  env: Record<string, string>;
  /** rclone's --ca-cert for a private S3 endpoint. */
  caCertFile?: string;
}

export async function rcloneRemote(target: BackingTarget, certDir: string): Promise<RcloneRemote> {
  const prefix = `RCLONE_CONFIG_${REMOTE}_`;
  switch (target.kind) {
    case 'local':
      return { path: target.path, env: {} };
    case 's3':
      return {
        path: `${REMOTE}:${[target.bucket, target.prefix].filter(Boolean).join('/')}`,
        env: {
          [`${prefix}TYPE`]: 's3',
          [`${prefix}PROVIDER`]: 'Other',
          [`${prefix}ACCESS_KEY_ID`]: target.accessKeyId,
          [`${prefix}SECRET_ACCESS_KEY`]: target.secretAccessKey,
          [`${prefix}ENDPOINT`]: target.endpoint,
          ...(target.region ? { [`${prefix}REGION`]: target.region } : {}),
          [`${prefix}FORCE_PATH_STYLE`]: String(target.pathStyle),
        },
        ...(target.caCert ? { caCertFile: await writeCaCert(target.caCert, certDir) } : {}),
      };
    case 'ftp':
      return {
        path: `${REMOTE}:${target.baseDir}`,
        env: {
          [`${prefix}TYPE`]: 'ftp',
          [`${prefix}HOST`]: target.host,
          [`${prefix}PORT`]: String(target.port),
          [`${prefix}USER`]: target.user,
          [`${prefix}PASS`]: rcloneObscure(target.password),
          [`${prefix}CONCURRENCY`]: String(target.connections),
          ...(target.explicitTls ? { [`${prefix}EXPLICIT_TLS`]: 'true' } : {}),
        },
      };
  }
}

/** The backing target one level down, at `<root>/<agent>`: where that agent's repositories are. */
export function agentArea(target: BackingTarget, agent: string): BackingTarget {
  switch (target.kind) {
    case 'local':
      return { ...target, path: `${target.path}/${agent}` };
    case 's3':
      return { ...target, prefix: [target.prefix, agent].filter(Boolean).join('/') };
    case 'ftp':
      return { ...target, baseDir: [target.baseDir, agent].filter(Boolean).join('/') };
  }
}

/** restic's direct location of agent `agent`'s repository of `owner`, with full rights. */
export function directLocation(
  target: BackingTarget,
  agent: string,
  owner: Owner,
  certDir: string,
): Promise<Location> {
  return locate(agentArea(target, agent), owner, { certDir });
}
