// The nats-server configuration of a fleet, generated from its list of servers, so that what each
// agent may do on NATS is decided here (and reviewed here) rather than hand-written per install.
//
// Identity: every client (controller or agent) is an nkey user. The configuration holds only
// public keys; each seed stays on the machine that made it, so the file holds no secret and a
// leaked copy grants nothing. TLS with the fleet's private CA is required of every client as well
// (`verify`): a client without a certificate from that CA is dropped before it may authenticate.
//
// Authorization is an allow list per user: what is not listed is refused by nats-server with a
// "Permissions Violation". An agent gets only subjects under `hv.<its server>.` and the JetStream
// API subjects of its own jobs consumer, so a compromised hosting server cannot read another
// server's jobs, publish another server's results or answer for it.
import { fromPublic } from '@nats-io/nkeys';
import {
  EVENTS_STREAM,
  FLEET_ROOT,
  serverSubjects,
  validateServerId,
  vaultSubjects,
  type ServerSubjects,
} from './subjects.js';

export interface NatsFleetConfigInput {
  /** Address nats-server listens on for clients. */
  listen: { host: string; port: number };
  /** PEM files: the server's certificate and key, and the CA that signs every client's certificate. */
  tls: { certFile: string; keyFile: string; caFile: string };
  /** JetStream storage; limits in bytes (nats-server reads quoted sizes such as "1GB" as errors). */
  jetStream: { storeDir: string; maxFileStoreBytes?: number; maxMemoryStoreBytes?: number };
  /** Public nkeys (`U…`) of the controllers; several controllers may share the fleet. */
  controllers: { nkey: string }[];
  /** One agent per hosting server: its server id and its public nkey. */
  agents: { server: string; nkey: string }[];
  /**
   * The fleet's vault (`hostvault vault` on NATS), when it has one: its public nkey. It gets an
   * agent's permissions on its own subjects (`hv._vault.…`) and nothing else; no agent gets
   * those, so no hosting server can ask the vault to forget or prune.
   */
  vault?: { nkey: string };
  /**
   * How long an agent may take to answer an RPC request (browse, download chunk, test
   * connection) before its one-time permission to reply expires.
   */
  rpcReplyWindow?: string;
}

interface Permissions {
  publish: string[];
  subscribe: string[];
  /** Permission to answer requests received (once each), without a publish grant on `_INBOX.>`. */
  allowResponses?: { max: number; expires: string };
}

/** JetStream API subjects of one consumer (`$JS.API.CONSUMER.<op>.<stream>.<consumer>`). */
function consumerApi(op: 'INFO' | 'MSG.NEXT', stream: string, consumer: string): string {
  return `$JS.API.CONSUMER.${op}.${stream}.${consumer}`;
}

/** The controller is the trusted side: it manages the streams and talks to every server. */
function controllerPermissions(): Permissions {
  return {
    publish: [
      // Enqueue jobs for any server, send RPC requests to any agent.
      `${FLEET_ROOT}.>`,
      // Create and update the jobs and events streams and their consumers, pull events. The
      // controller owns JetStream's configuration, so it gets the whole API.
      '$JS.API.>',
      // Ack the events it has stored in the database.
      `$JS.ACK.${EVENTS_STREAM}.>`,
    ],
    subscribe: [
      // Presence and events of every server (core subscriptions, e.g. a live progress view).
      `${FLEET_ROOT}.>`,
      // Replies to its own requests: JetStream API answers, pulled events, agents' RPC answers.
      // Agents never get this subject: their inboxes live under their own `hv.<server>.inbox`.
      '_INBOX.>',
    ],
  };
}

/** An agent: its own server's subjects, nothing else. */
function agentPermissions(s: ServerSubjects, rpcReplyWindow: string): Permissions {
  return {
    publish: [
      // consumers.get() reads its consumer's configuration before pulling, and the client reads it
      // again after missed heartbeats. Only INFO of its own consumer: no CREATE, DELETE, or any
      // other stream's API (which would let it make a consumer on another server's jobs).
      consumerApi('INFO', s.jobsStream, s.jobsConsumer),
      // Pull the next jobs of its own durable consumer.
      consumerApi('MSG.NEXT', s.jobsStream, s.jobsConsumer),
      // Ack, nak, "working" and term of its own jobs: the reply subject of each delivered job is
      // `$JS.ACK.<stream>.<consumer>.…`. Another stream's ack subject would let it drop (ack)
      // another server's jobs without running them.
      `$JS.ACK.${s.jobsStream}.${s.jobsConsumer}.>`,
      // Progress, log and result of its jobs (stored by the events stream), and its heartbeat.
      s.eventsAll,
      s.presence,
    ],
    subscribe: [
      // Its inbox: deliveries of its jobs, JetStream API answers, acks of its published events.
      // The agent must connect with `inboxPrefix` set to this prefix.
      s.inboxAll,
      // Requests it answers (browse, download, test connection); the answers go to the
      // requester's inbox through allowResponses, never through a publish grant.
      s.rpcAll,
    ],
    allowResponses: { max: 1, expires: rpcReplyWindow },
  };
}

function validateNkey(who: string, nkey: string): string {
  let ok = false;
  try {
    fromPublic(nkey);
    ok = nkey.startsWith('U');
  } catch {
    ok = false;
  }
  if (!ok)
    throw new Error(`The NATS key of ${who} is not a public user nkey (it starts with "U").`);
  return nkey;
}

/** Permissions of every user, keyed by public nkey (exported for review and tests). */
export function fleetUsers(
  input: Pick<NatsFleetConfigInput, 'controllers' | 'agents' | 'vault' | 'rpcReplyWindow'>,
): { nkey: string; who: string; permissions: Permissions }[] {
  const window = input.rpcReplyWindow ?? '2m';
  const seenServers = new Set<string>();
  const seenKeys = new Set<string>();
  const users: { nkey: string; who: string; permissions: Permissions }[] = [];
  const add = (who: string, nkey: string, permissions: Permissions): void => {
    validateNkey(who, nkey);
    // One key per identity: a key listed twice would get the union of two permission sets.
    if (seenKeys.has(nkey))
      throw new Error(`The NATS key of ${who} is already used by another user.`);
    seenKeys.add(nkey);
    users.push({ nkey, who, permissions });
  };
  if (input.controllers.length === 0)
    throw new Error('The fleet needs at least one controller key.');
  input.controllers.forEach((c, i) => add(`controller ${i + 1}`, c.nkey, controllerPermissions()));
  for (const agent of input.agents) {
    const server = validateServerId(agent.server);
    if (seenServers.has(server)) throw new Error(`Server "${server}" is listed twice.`);
    seenServers.add(server);
    add(
      `the agent of server "${server}"`,
      agent.nkey,
      agentPermissions(serverSubjects(server), window),
    );
  }
  // The vault takes its maintenance jobs as an agent takes its own, from its own queue.
  if (input.vault) add('the vault', input.vault.nkey, agentPermissions(vaultSubjects(), window));
  return users;
}

const q = (s: string): string => JSON.stringify(s);

/**
 * The `authorization { users: [...] }` block alone: what a controller rewrites when a server is
 * enrolled or revoked, as the file the main configuration includes (`authorizationInclude`), so
 * the rest of nats-server's configuration stays the operator's.
 */
export function natsAuthorizationConfig(
  input: Pick<NatsFleetConfigInput, 'controllers' | 'agents' | 'vault' | 'rpcReplyWindow'>,
): string {
  const list = (items: string[], indent: string): string =>
    `[\n${items.map((i) => `${indent}  ${q(i)}`).join(',\n')}\n${indent}]`;
  const users = fleetUsers(input).map(({ nkey, who, permissions: p }) => {
    const lines = [
      `    # ${who}`,
      `    {`,
      `      nkey: ${q(nkey)}`,
      `      permissions: {`,
      `        publish: { allow: ${list(p.publish, '        ')} }`,
      `        subscribe: { allow: ${list(p.subscribe, '        ')} }`,
    ];
    if (p.allowResponses) {
      lines.push(
        `        allow_responses: { max: ${p.allowResponses.max}, expires: ${q(p.allowResponses.expires)} }`,
      );
    }
    lines.push(`      }`, `    }`);
    return lines.join('\n');
  });
  return [
    '# nkey users (public keys only); anything not allowed below is refused by nats-server.',
    'authorization {',
    '  users: [',
    users.join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

/** nats-server configuration text (its own format; every string JSON-quoted, which it accepts). */
export function natsFleetConfig(
  input: NatsFleetConfigInput & {
    /**
     * Include this file (written by the controller: natsAuthorizationConfig) instead of writing
     * the users here; a path relative to the configuration file's folder, as nats-server reads it.
     */
    authorizationInclude?: string;
  },
): string {
  const js = input.jetStream;
  return [
    "# Generated by hostvault from the fleet's servers: edit the fleet, not this file.",
    `host: ${q(input.listen.host)}`,
    `port: ${input.listen.port}`,
    '',
    '# Every client shows a certificate from the fleet CA before it may authenticate.',
    'tls {',
    `  cert_file: ${q(input.tls.certFile)}`,
    `  key_file: ${q(input.tls.keyFile)}`,
    `  ca_file: ${q(input.tls.caFile)}`,
    '  verify: true',
    '  timeout: 2',
    '}',
    '',
    "# Durable job dispatch: a job waits in its server's stream while the agent is offline.",
    'jetstream {',
    `  store_dir: ${q(js.storeDir)}`,
    ...(js.maxFileStoreBytes ? [`  max_file_store: ${Math.floor(js.maxFileStoreBytes)}`] : []),
    ...(js.maxMemoryStoreBytes
      ? [`  max_memory_store: ${Math.floor(js.maxMemoryStoreBytes)}`]
      : []),
    '}',
    '',
    input.authorizationInclude === undefined
      ? natsAuthorizationConfig(input)
      : `# Written by the controller at each enrollment and revocation.\ninclude ${q(input.authorizationInclude)}\n`,
  ].join('\n');
}
