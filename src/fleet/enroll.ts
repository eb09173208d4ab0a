/**
 * `hostvault agent enroll`, on the hosting server: makes this agent's NATS identity here (the
 * seed goes into a file only root reads and never leaves the machine), sends only the public key
 * with the one-time token to the controller, and writes what the controller answered (server id,
 * NATS address) into the agent's settings file, which `hostvault agent` reads at its start (and
 * systemd's EnvironmentFile= can read as well).
 *
 * The TLS client certificate from the fleet CA is not part of the exchange: the operator's CA
 * issues it (nats-server requires it before any user may authenticate); its files are named with
 * --nats-ca, --nats-cert and --nats-key and written into the settings.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { z } from 'zod';

export interface EnrollOptions {
  /** The controller's base URL, e.g. `https://backup.example.net`. */
  controller: string;
  token: string;
  /** The agent's data directory: the seed goes to `<dataDir>/agent.nkey`. */
  dataDir: string;
  /** Default `<dataDir>/agent.env`. */
  settingsFile?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** When the controller tells no NATS address (it has none configured for agents). */
  natsUrl?: string;
  fetch?: typeof fetch;
}

const answerSchema = z.object({ server: z.string(), natsUrl: z.string().nullable() });

export function agentSettingsFile(dataDir: string, env: NodeJS.ProcessEnv = {}): string {
  return env.HOSTVAULT_AGENT_SETTINGS?.trim() || join(dataDir, 'agent.env');
}

export async function enrollAgent(
  opts: EnrollOptions,
): Promise<{ server: string; natsUrl: string; settingsFile: string; seedFile: string }> {
  const user = createUser();
  const seedFile = join(opts.dataDir, 'agent.nkey');
  const settingsFile = opts.settingsFile ?? join(opts.dataDir, 'agent.env');
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  // The seed is written before the token is spent: an enrollment whose seed could not be kept
  // would use up the token for a key nobody has.
  const pendingSeed = `${seedFile}.pending`;
  await writeFile(pendingSeed, `${new TextDecoder().decode(user.getSeed())}\n`, { mode: 0o600 });
  await chmod(pendingSeed, 0o600);
  const response = await (opts.fetch ?? fetch)(
    new URL('/api/fleet/enroll', opts.controller).toString(),
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: opts.token, nkey: user.getPublicKey() }),
    },
  );
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message =
      (body as { error?: { message?: string } } | undefined)?.error?.message ??
      `the controller answered ${response.status}`;
    throw new Error(`enrollment refused: ${message}`);
  }
  const answer = answerSchema.parse(body);
  const natsUrl = answer.natsUrl ?? opts.natsUrl;
  if (!natsUrl)
    throw new Error(
      'the controller named no NATS address for agents (HOSTVAULT_NATS_AGENT_URL); give --nats-url',
    );
  await rename(pendingSeed, seedFile);
  const lines = [
    `# Written by hostvault agent enroll: this agent's identity in the fleet.`,
    `HOSTVAULT_SERVER_ID=${answer.server}`,
    `HOSTVAULT_NATS_URL=${natsUrl}`,
    `HOSTVAULT_NATS_SEED_FILE=${seedFile}`,
    ...(opts.tls?.caFile ? [`HOSTVAULT_NATS_CA=${opts.tls.caFile}`] : []),
    ...(opts.tls?.certFile ? [`HOSTVAULT_NATS_CERT=${opts.tls.certFile}`] : []),
    ...(opts.tls?.keyFile ? [`HOSTVAULT_NATS_KEY=${opts.tls.keyFile}`] : []),
  ];
  await mkdir(dirname(settingsFile), { recursive: true });
  await writeFile(settingsFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  return { server: answer.server, natsUrl, settingsFile, seedFile };
}

/**
 * The agent's settings file as environment variables (KEY=value lines, `#` comments), or none
 * when it does not exist. The process's own environment wins over it.
 */
export async function readAgentSettings(file: string): Promise<NodeJS.ProcessEnv> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const env: NodeJS.ProcessEnv = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw new Error(`${file}: "${trimmed}" is not KEY=value`);
    env[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
  }
  return env;
}
