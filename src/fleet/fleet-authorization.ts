/**
 * Who nats-server lets in, kept in step with the server records: after every enrollment and
 * revocation the controller rewrites the authorization file nats-server's configuration includes
 * (natsAuthorizationConfig: the controllers' keys and each enrolled or draining server's agent
 * key with its own permissions) and makes nats-server reload it. A reload drops the connections
 * of users no longer listed, so a revoked agent is disconnected at once and refused afterwards.
 */
import { execFile } from 'node:child_process';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fromSeed } from '@nats-io/nkeys';
import { natsAuthorizationConfig } from './nats-config.js';
import type { ServerRecords } from './server-records.js';
import { loadControllerFleetSettings } from './settings.js';

const execFileAsync = promisify(execFile);

export interface FleetAuthorizationOptions {
  /** HOSTVAULT_NATS_AUTH_FILE: the file nats-server's configuration includes. */
  file: string;
  /** Public nkeys of the fleet's controllers (this one's and HOSTVAULT_NATS_CONTROLLER_KEYS). */
  controllerKeys: string[];
  /**
   * How nats-server is told to reload: HOSTVAULT_NATS_PID_FILE (SIGHUP to that process, what
   * `nats-server --signal reload=<pid>` does) or HOSTVAULT_NATS_RELOAD_COMMAND (run by /bin/sh,
   * e.g. `systemctl reload nats-server`). Neither: the file is written and the operator reloads.
   */
  reload: { pidFile: string } | { command: string } | undefined;
  rpcReplyWindow?: string;
  /** HOSTVAULT_NATS_VAULT_KEY: the public nkey of the fleet's vault, when it has one. */
  vaultKey?: string;
  log?: (line: string) => void;
}

export class FleetAuthorization {
  /** One rewrite at a time, in order: two enrollments at once must not interleave their files. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly records: ServerRecords,
    private readonly opts: FleetAuthorizationOptions,
  ) {}

  /** Writes the file from the records and reloads nats-server; resolves once it was told. */
  apply(): Promise<void> {
    const next = this.chain.then(() => this.write());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async write(): Promise<void> {
    const text = natsAuthorizationConfig({
      controllers: this.opts.controllerKeys.map((nkey) => ({ nkey })),
      agents: await this.records.authorizedAgents(),
      ...(this.opts.vaultKey ? { vault: { nkey: this.opts.vaultKey } } : {}),
      rpcReplyWindow: this.opts.rpcReplyWindow,
    });
    const current = await readFile(this.opts.file, 'utf8').catch(() => undefined);
    if (current !== text) {
      // Whole or not at all: nats-server must never read half a file.
      const tmp = `${this.opts.file}.${process.pid}.tmp`;
      await writeFile(tmp, text, { mode: 0o644 });
      await rename(tmp, this.opts.file);
    }
    await this.reload();
  }

  private async reload(): Promise<void> {
    const reload = this.opts.reload;
    if (!reload) {
      this.opts.log?.(
        `NATS authorization written to ${this.opts.file}; reload nats-server to apply it`,
      );
      return;
    }
    if ('pidFile' in reload) {
      const pid = Number((await readFile(reload.pidFile, 'utf8')).trim());
      if (!Number.isInteger(pid) || pid <= 1)
        throw new Error(`${reload.pidFile} holds no process id of nats-server.`);
      process.kill(pid, 'SIGHUP');
    } else {
      await execFileAsync('/bin/sh', ['-c', reload.command], { timeout: 30_000 });
    }
  }
}

/** The public key of the user seed in `file` (a controller's own identity). */
export async function publicKeyOfSeedFile(file: string): Promise<string> {
  const seed = (await readFile(file, 'utf8')).trim();
  return fromSeed(new TextEncoder().encode(seed)).getPublicKey();
}

/**
 * The controller's authorization manager from its environment: HOSTVAULT_NATS_AUTH_FILE, its own
 * key (HOSTVAULT_NATS_SEED_FILE) and the other controllers' (HOSTVAULT_NATS_CONTROLLER_KEYS), and
 * how to reload nats-server. Undefined without an authorization file: the fleet's users are then
 * the operator's to manage (`hostvault fleet nats-config`).
 */
export async function fleetAuthorizationFromEnv(
  records: ServerRecords,
  env: NodeJS.ProcessEnv,
  log?: (line: string) => void,
): Promise<FleetAuthorization | undefined> {
  const settings = loadControllerFleetSettings(env);
  if (!settings.authFile) return undefined;
  const seedFile = env.HOSTVAULT_NATS_SEED_FILE?.trim();
  const own = seedFile ? [await publicKeyOfSeedFile(seedFile)] : [];
  const controllerKeys = [...new Set([...own, ...settings.otherControllerKeys])];
  if (controllerKeys.length === 0)
    throw new Error(
      "HOSTVAULT_NATS_AUTH_FILE needs the controllers' keys: HOSTVAULT_NATS_SEED_FILE or HOSTVAULT_NATS_CONTROLLER_KEYS",
    );
  return new FleetAuthorization(records, {
    file: settings.authFile,
    controllerKeys,
    reload: settings.pidFile
      ? { pidFile: settings.pidFile }
      : settings.reloadCommand
        ? { command: settings.reloadCommand }
        : undefined,
    ...(settings.vaultKey ? { vaultKey: settings.vaultKey } : {}),
    log,
  });
}
