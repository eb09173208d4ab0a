/**
 * The adapter from a target to restic: the repository location for one owner on one target,
 * with the target's credentials in restic's environment and its CA certificate as a file.
 */
import type { RepositoryLocation } from '../engine/index.js';
import { TargetRefusedError } from '../target/address-policy.js';
import { writeCaCert } from './ca-certs.js';
import { FTP_REMOTE, repositoryUrl } from '../target/location.js';
import { targetSchema, type Owner, type Target } from '../target/schema.js';
import { rcloneObscure } from './obscure.js';

export type Location = Omit<RepositoryLocation, 'password'>;

/**
 * Network timeouts for rclone: without them a silent FTP server holds restic for rclone's
 * default of 5 minutes per attempt and 10 low-level retries.
 */
const RCLONE_TIMEOUTS: Record<string, string> = {
  RCLONE_CONTIMEOUT: '15s',
  RCLONE_TIMEOUT: '60s',
  RCLONE_LOW_LEVEL_RETRIES: '3',
};

export interface LocateOptions {
  /** Where CA certificates of private S3 endpoints are written for restic's --cacert. */
  certDir: string;
}

export async function locate(target: Target, owner: Owner, opts: LocateOptions): Promise<Location> {
  refuseInvalid(target);
  const url = repositoryUrl(target, owner);
  switch (target.kind) {
    case 'local':
      return { url };
    case 's3': {
      const location: Location = {
        url,
        env: {
          AWS_ACCESS_KEY_ID: target.accessKeyId,
          AWS_SECRET_ACCESS_KEY: target.secretAccessKey,
          ...(target.region ? { AWS_DEFAULT_REGION: target.region } : {}),
        },
        options: target.pathStyle ? { 's3.bucket-lookup': 'path' } : {},
      };
      if (target.caCert) location.caCertFile = await writeCaCert(target.caCert, opts.certDir);
      return location;
    }
    case 'ftp': {
      const prefix = `RCLONE_CONFIG_${FTP_REMOTE}_`;
      return {
        url,
        env: {
          ...RCLONE_TIMEOUTS,
          [`${prefix}TYPE`]: 'ftp',
          [`${prefix}HOST`]: target.host,
          [`${prefix}PORT`]: String(target.port),
          [`${prefix}USER`]: target.user,
          [`${prefix}PASS`]: rcloneObscure(target.password),
          [`${prefix}CONCURRENCY`]: String(target.connections),
          ...(target.explicitTls ? { [`${prefix}EXPLICIT_TLS`]: 'true' } : {}),
        },
        options: { 'rclone.connections': String(target.connections) },
        secrets: [target.password],
      };
    }
    case 'vault': {
      // restic 0.14 takes a REST server's credential only inside the URL; in argv `ps` would
      // show it to every user, so the URL with it goes in restic's environment (readable by
      // root alone) and `url`, without it, names the repository everywhere else.
      const origin = new URL(target.url);
      origin.username = encodeURIComponent(target.user);
      origin.password = encodeURIComponent(target.password);
      const withCredential = `rest:${origin.origin.replace('://', `://${origin.username}:${origin.password}@`)}/${target.user}/${owner}`;
      const location: Location = {
        url,
        env: { RESTIC_REPOSITORY: withCredential },
        secrets: [target.password, origin.password],
        appendOnly: true,
      };
      if (target.caCert) location.caCertFile = await writeCaCert(target.caCert, opts.certDir);
      return location;
    }
  }
}

/**
 * The schema checks every target where it enters; this checks it again where it leaves, so a
 * target stored before a rule existed (an FTP user with a line break, which rclone would have sent
 * to the server as a command) never reaches rclone or restic.
 */
function refuseInvalid(target: Target): void {
  const result = targetSchema.safeParse(target);
  if (result.success) return;
  const why = result.error.issues[0]?.message ?? 'a field is not valid';
  throw new TargetRefusedError(
    `This target's settings cannot be used: ${why} Edit the schedule and enter them again.`,
  );
}
