/**
 * The vault's settings, from the environment like the rest of hostvault's: where it listens,
 * its TLS certificate and key, the file of its backing target and of its agents' credentials.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { directTargetSchema } from '../target/schema.js';
import type { BackingTarget } from './backing.js';

export interface VaultSettings {
  listen: string;
  certFile: string;
  keyFile: string;
  htpasswdFile: string;
  target: BackingTarget;
  workDir: string;
}

/** undefined when no vault is configured (HOSTVAULT_VAULT_CERT unset): everything as before. */
export function loadVaultSettings(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): VaultSettings | undefined {
  const certFile = env.HOSTVAULT_VAULT_CERT;
  if (!certFile) return undefined;
  const keyFile = env.HOSTVAULT_VAULT_KEY;
  if (!keyFile) throw new Error('HOSTVAULT_VAULT_CERT is set, HOSTVAULT_VAULT_KEY is not');
  const targetFile = env.HOSTVAULT_VAULT_TARGET;
  // The backing target's file holds its credentials (S3 keys, FTP password): root's alone.
  const target = targetFile
    ? directTargetSchema.parse(parse(readFileSync(targetFile, 'utf8')))
    : directTargetSchema.parse({ kind: 'local', path: join(dataDir, 'vault') });
  return {
    listen: env.HOSTVAULT_VAULT_LISTEN ?? '127.0.0.1:8421',
    certFile,
    keyFile,
    htpasswdFile: env.HOSTVAULT_VAULT_HTPASSWD ?? join(dataDir, 'vault.htpasswd'),
    target,
    workDir: join(dataDir, 'vault-work'),
  };
}
