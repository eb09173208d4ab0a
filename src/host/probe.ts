/**
 * "Test connection": proves that a target can hold backups before a schedule is saved. Four steps,
 * bounded to 20 s in all:
 *
 *   reach         a TCP connection to the server (remote targets)
 *   authenticate  `restic init` of a throw-away repository: the login is accepted…
 *   write         …and the repository is written, then read back (`restic cat config`)
 *   delete        the throw-away repository removed again: `rm -r` for a local directory,
 *                 `rclone purge` for S3 and FTP (restic itself cannot delete a repository)
 *
 * The repository belongs to an owner `hostvault-test-<random>` under the target, so it never
 * touches a real repository; one that exists already (a collision) is never deleted. Every
 * secret reaches restic and rclone through their environment, never argv. A CA certificate goes
 * to a file in the probe's own temporary directory, removed with it.
 *
 * A vault (append-only) keeps whatever is written to it, so its test writes nothing: it reaches
 * the vault over TLS (checked against the vault's CA) and has the login accepted, and says that
 * the first backup proves the write (vaultProbe below).
 *
 * Each step's message says only what that step proved; a step that was not proved is not
 * listed as passed (a failure whose cause restic does not name fails at "authenticate", the
 * first step nothing proved).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError, type Restic, type RepositoryLocation } from '../engine/index.js';
import { redact } from '../engine/errors.js';
import { runProcess } from '../engine/process.js';
import { PROBE_STEPS, type ProbeStep } from '../agent/protocol.js';
import { TargetRefusedError } from '../target/address-policy.js';
import { repositoryUrl } from '../target/location.js';
import type { FtpTarget, S3Target, Target, VaultTarget } from '../target/schema.js';
import { locate } from './locate.js';

export { PROBE_STEPS, type ProbeStep };

export interface StepResult {
  step: ProbeStep;
  message: string;
}

export type ProbeResult =
  | { ok: true; steps: StepResult[] }
  | { ok: false; step: ProbeStep; message: string; steps: StepResult[] };

export interface ProbeDeps {
  /** A restic engine whose cache lives in `cacheDir` (removed after the probe). */
  restic(cacheDir: string): Restic;
  rcloneBinary?: string;
  /** The whole probe's limit; default 20 s. */
  budgetMs?: number;
}

export interface ProbeOptions {
  /**
   * Who reads the answer. A customer reads one text for every connection that did not open
   * (refused, timed out, no route), so the test cannot tell open ports from closed or filtered
   * ones; the provider reads the cause.
   */
  audience: 'customer' | 'provider';
  /**
   * The address the reach step connects to: one the address policy checked, so that the name
   * is not resolved once more in between. Default: the target's host name.
   */
  reachAddress?: string;
}

const DEFAULT_BUDGET_MS = 20_000;
const CONNECT_MS = 5_000;
/** Kept back from `init` for the delete step, so a slow init still gets cleaned up. */
const DELETE_RESERVE_MS = 5_000;
const STALL_MS = 10_000;

export async function probeTarget(
  target: Target,
  deps: ProbeDeps,
  opts: ProbeOptions = { audience: 'provider' },
): Promise<ProbeResult> {
  const deadline = Date.now() + (deps.budgetMs ?? DEFAULT_BUDGET_MS);
  const left = (): number => Math.max(1_000, deadline - Date.now());
  const owner = `hostvault-test-${randomBytes(8).toString('hex')}`;
  const steps: StepResult[] = [];
  const fail = (step: ProbeStep, message: string): ProbeResult => ({
    ok: false,
    step,
    message,
    steps,
  });

  // The probe deletes the test repository it writes, which a vault refuses by design.
  if (target.kind === 'vault') return vaultProbe(target, owner, opts, Math.min(CONNECT_MS, left()));
  const work = await mkdtemp(join(tmpdir(), 'hv-probe-'));
  try {
    let location: RepositoryLocation;
    try {
      location = {
        ...(await locate(target, owner, { certDir: join(work, 'certs') })),
        password: randomBytes(24).toString('base64url'),
      };
    } catch (error) {
      if (error instanceof TargetRefusedError) return fail('reach', error.message);
      throw error;
    }

    // reach
    if (target.kind === 'local') {
      const reach = await localReach(target.path);
      if (typeof reach === 'string') return fail('reach', reach);
      steps.push({
        step: 'reach',
        message: reach.exists
          ? `The directory ${target.path} exists.`
          : `The directory ${target.path} does not exist yet; it will be created.`,
      });
    } else {
      const { host, port } = endpointOf(target);
      const reach = await tcpReach(
        { host, port, address: opts.reachAddress ?? host },
        Math.min(CONNECT_MS, left()),
        opts.audience,
      );
      if (reach) return fail('reach', reach);
      steps.push({
        step: 'reach',
        message: `The server ${host} accepted a connection on port ${port}.`,
      });
    }

    const restic = deps.restic(join(work, 'cache'));
    const limits = () => ({
      timeoutMs: Math.max(1_000, left() - DELETE_RESERVE_MS),
      stallMs: STALL_MS,
    });

    // authenticate + write
    let initialized = false;
    try {
      await restic.init(location, limits());
      initialized = true;
      await restic.catConfig(location, limits());
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      const unreachable = error.kind === 'unreachable' || error.kind === 'timeout';
      const loggedIn =
        !unreachable && (target.kind === 'local' || initialized || LOGIN_PROVEN.has(error.kind));
      if (loggedIn) steps.push(authenticated(target));
      // A half-written repository is ours to remove; one that existed before is not.
      if (!unreachable && !NOTHING_WRITTEN.has(error.kind))
        await remove(target, owner, location, work, deps, left).catch(() => undefined);
      return fail(unreachable ? 'reach' : loggedIn ? 'write' : 'authenticate', error.message);
    }
    steps.push(authenticated(target));
    steps.push({
      step: 'write',
      message: 'A test repository was written and read back.',
    });

    // delete
    if (initialized) {
      const problem = await remove(target, owner, location, work, deps, left);
      if (problem) return fail('delete', problem);
    }
    steps.push({ step: 'delete', message: 'The test repository was deleted again.' });
    return { ok: true, steps };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function authenticated(target: Target): StepResult {
  return {
    step: 'authenticate',
    message:
      target.kind === 'local'
        ? 'No login is needed for a directory on this server.'
        : 'The server accepted the login.',
  };
}

/**
 * Failures of `restic init` that could only happen after the server let us in: it answered
 * about files (one already there, a lock, no space left). Any other failure, restic's unnamed
 * ones included, leaves the login unproved, and the test fails at "authenticate".
 */
const LOGIN_PROVEN = new Set<EngineError['kind']>(['already-exists', 'locked', 'no-space']);

/** Failures after which there is nothing of ours on the target to remove. */
const NOTHING_WRITTEN = new Set<EngineError['kind']>([
  'auth-refused',
  'bucket-missing',
  'wrong-password',
  'already-exists',
]);

function endpointOf(target: S3Target | FtpTarget): { host: string; port: number } {
  if (target.kind === 'ftp')
    return { host: target.host.replace(/^\[|\]$/g, ''), port: target.port };
  const url = new URL(target.endpoint);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/** undefined when a TCP connection opens; otherwise the reason in plain words. */
function tcpReach(
  server: { host: string; port: number; address: string },
  timeoutMs: number,
  audience: ProbeOptions['audience'],
): Promise<string | undefined> {
  const { host, port } = server;
  return new Promise((resolve) => {
    const socket = connect({ host: server.address, port });
    const done = (result: string | undefined): void => {
      socket.destroy();
      resolve(result);
    };
    const failed = (detail: string): void =>
      done(
        audience === 'customer'
          ? `The server ${host} did not accept a connection on port ${port}. Check the address and the port, that the server is running, and that a firewall lets the connection through.`
          : detail,
      );
    socket.setTimeout(timeoutMs, () =>
      failed(
        `The server ${host} did not answer on port ${port} within ${Math.round(timeoutMs / 1000)} s. Check the address and port, and that a firewall lets the connection through.`,
      ),
    );
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
        ? done(`The server name ${host} could not be found. Check the spelling of the address.`)
        : failed(reachMessage(host, port, error)),
    );
  });
}

function reachMessage(host: string, port: number, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return `The server ${host} refused the connection on port ${port}. Check the port, and that the server is running.`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `There is no network route to ${host}. Check the address.`;
    default:
      return `The server ${host} could not be reached on port ${port} (${error.code ?? error.message}).`;
  }
}

/** A local target's directory must be a directory, or not exist yet (restic creates it). */
async function localReach(path: string): Promise<{ exists: boolean } | string> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? { exists: true } : `${path} exists but is not a directory.`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { exists: false };
    if (code === 'EACCES') return `The service may not open ${path}. Check its permissions.`;
    if (code === 'ENOTDIR') return `A part of ${path} is a file, not a directory.`;
    return `${path} cannot be used (${code ?? 'unknown error'}).`;
  }
}

/** Removes the throw-away repository; the reason in plain words when it could not. */
async function remove(
  target: Exclude<Target, VaultTarget>,
  owner: string,
  location: RepositoryLocation,
  work: string,
  deps: ProbeDeps,
  left: () => number,
): Promise<string | undefined> {
  if (target.kind === 'local') {
    try {
      await rm(location.url, { recursive: true, force: true });
      return undefined;
    } catch (error) {
      return `The test repository was written but could not be deleted (${(error as NodeJS.ErrnoException).code ?? 'error'}). Remove ${location.url} by hand.`;
    }
  }
  const { remote, env, secrets } = rcloneRemote(target, location);
  const path = [remoteRoot(target), owner].filter(Boolean).join('/');
  const result = await runProcess({
    binary: deps.rcloneBinary ?? 'rclone',
    args: ['purge', `${remote}:${path}`],
    env: {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'C.UTF-8',
      // No config file: the remote lives in this environment alone.
      RCLONE_CONFIG: join(work, 'rclone.conf'),
      RCLONE_CONTIMEOUT: '5s',
      RCLONE_TIMEOUT: '10s',
      RCLONE_RETRIES: '1',
      RCLONE_LOW_LEVEL_RETRIES: '1',
      ...env,
    },
    timeoutMs: left(),
  });
  if (result.exitCode === 0 && !result.stopped) return undefined;
  const said = redact(
    result.stderr
      .filter((l) => /ERROR|Failed|error/i.test(l))
      .map((l) => l.replace(/^\S+ \S+ (ERROR|NOTICE|INFO) *: */, '').trim())
      .at(-1) ?? '',
    secrets,
  );
  const where = repositoryUrl(target, owner).replace(/^rclone:\w+:/, '');
  const why = result.stopped ? 'the server stopped answering' : said || 'no reason given';
  return `The test repository was written but could not be deleted (${why}). Check that this login may delete files, and remove "${where}" by hand.`;
}

function remoteRoot(target: S3Target | FtpTarget): string {
  return target.kind === 's3'
    ? [target.bucket, target.prefix].filter(Boolean).join('/')
    : target.baseDir;
}

/** An rclone remote defined in environment variables only. */
function rcloneRemote(
  target: S3Target | FtpTarget,
  location: RepositoryLocation,
): { remote: string; env: Record<string, string>; secrets: string[] } {
  if (target.kind === 'ftp') {
    // locate() already defines the FTP remote that restic's rclone backend uses.
    const env = Object.fromEntries(
      Object.entries(location.env ?? {}).filter(([k]) => k.startsWith('RCLONE_CONFIG_')),
    );
    const remote = /^rclone:(\w+):/.exec(location.url)?.[1] ?? 'hvftp';
    const obscured = Object.entries(env)
      .filter(([k]) => k.endsWith('_PASS'))
      .map(([, v]) => v);
    return { remote, env, secrets: [target.password, ...obscured] };
  }
  const p = 'RCLONE_CONFIG_HVS3_';
  return {
    remote: 'hvs3',
    env: {
      [`${p}TYPE`]: 's3',
      [`${p}PROVIDER`]: 'Other',
      [`${p}ENV_AUTH`]: 'false',
      [`${p}ENDPOINT`]: target.endpoint,
      [`${p}ACCESS_KEY_ID`]: target.accessKeyId,
      [`${p}SECRET_ACCESS_KEY`]: target.secretAccessKey,
      [`${p}FORCE_PATH_STYLE`]: String(target.pathStyle),
      ...(target.region ? { [`${p}REGION`]: target.region } : {}),
      ...(location.caCertFile ? { RCLONE_CA_CERT: location.caCertFile } : {}),
    },
    secrets: [target.secretAccessKey],
  };
}

/**
 * Test connection of a vault: the TCP connection, then one authenticated read of a repository
 * file that does not exist. rclone's REST server answers 404 to an accepted login and 401 (or 403
 * outside the agent's own area) to a refused one; TLS fails first against a wrong CA. Nothing is
 * written, as nothing written to a vault can be deleted again.
 */
async function vaultProbe(
  target: VaultTarget,
  owner: string,
  opts: ProbeOptions,
  timeoutMs: number,
): Promise<ProbeResult> {
  const steps: StepResult[] = [];
  const url = new URL(target.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : 443;
  const reach = await tcpReach(
    { host, port, address: opts.reachAddress ?? host },
    timeoutMs,
    opts.audience,
  );
  if (reach) return { ok: false, step: 'reach', message: reach, steps };
  steps.push({
    step: 'reach',
    message: `The vault ${host} accepted a connection on port ${port}.`,
  });

  const answer = await new Promise<{ status: number } | { error: string }>((resolve) => {
    const req = request(
      new URL(`/${target.user}/${owner}/config`, url),
      {
        method: 'HEAD',
        ...(target.caCert ? { ca: target.caCert } : {}),
        auth: `${target.user}:${target.password}`,
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0 });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: vaultTlsMessage(host, error) }),
    );
    req.end();
  });
  if ('error' in answer) return { ok: false, step: 'reach', message: answer.error, steps };
  if (answer.status === 401 || answer.status === 403)
    return {
      ok: false,
      step: 'authenticate',
      message: `The vault refused the login of ${target.user}. Check the vault user and password (hostvault vault credential ${target.user} on the vault issues a new one).`,
      steps,
    };
  if (answer.status !== 404 && answer.status !== 200)
    return {
      ok: false,
      step: 'authenticate',
      message: `The vault answered with HTTP status ${answer.status}. Check that the address is the vault's.`,
      steps,
    };
  steps.push({ step: 'authenticate', message: `The vault accepted the login of ${target.user}.` });
  steps.push({
    step: 'write',
    message:
      'Nothing was written: the vault keeps everything written to it, so the first backup proves the writing.',
  });
  return { ok: true, steps };
}

function vaultTlsMessage(host: string, error: NodeJS.ErrnoException): string {
  const code = error.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code))
    return `The vault ${host} did not prove its identity (${code}). Check the vault's CA certificate and address.`;
  return `The vault ${host} could not be reached (${code || error.message}).`;
}
