// The fleet's names on NATS, in one place: every subject, stream and consumer the controller and
// the agents use is built here, and the server's permissions (nats-config.ts) are built from the
// same functions, so a name cannot drift between what a client uses and what NATS allows.
//
// Everything of one hosting server lives under `hv.<server>.`: NATS permissions match subjects by
// token, so "agent web1 may use only web1's subjects" is a handful of `hv.web1.…` patterns. The
// server id is therefore one subject token, and also part of a stream name: it is validated here.

/** Prefix of every fleet subject; the controller may use everything under `hv.>`. */
export const FLEET_ROOT = 'hv';

/**
 * The stream of every server's events (progress, log, result): one stream, since the subject
 * already says which server spoke and NATS only lets web1 publish under `hv.web1.`.
 */
export const EVENTS_STREAM = 'HV_EVENTS';
/** Subjects the events stream captures: `hv.<any server>.events.<job>`. */
export const EVENTS_STREAM_SUBJECTS = [`${FLEET_ROOT}.*.events.*`];

/** Durable pull consumer of a server's jobs stream; the stream name already says which server. */
export const JOBS_CONSUMER = 'agent';

/**
 * RPC methods an agent answers by request–reply: what needs an answer now or not at all (a
 * customer waiting on a page), the cancel of a job by its dispatch id, and what became of a job
 * whose controller died (`adopt`).
 */
export const RPC_METHODS = [
  'browse',
  'download',
  'test-connection',
  'restore-preview',
  'facts',
  'recover',
  'cancel',
  'adopt',
] as const;
export type RpcMethod = (typeof RPC_METHODS)[number];

const SERVER_ID = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * The implicit hosting server of `hostvault serve`, where every customer lives unless the
 * inventory names another; a controller sends its customers to its default server.
 */
export const LOCAL_SERVER = 'local';
const SERVER_ID_MAX = 63;

export class InvalidServerIdError extends Error {
  constructor(
    readonly serverId: string,
    reason: string,
  ) {
    super(`Server name "${serverId}" cannot be used: ${reason}`);
    this.name = 'InvalidServerIdError';
  }
}

/**
 * Refuses a server id that is not exactly one safe token. A dot would make it two subject tokens
 * (`hv.a.b.jobs` would fall under server "a"'s permissions), `*` and `>` are wildcards that would
 * grant other servers' subjects, and spaces, slashes or upper case are not valid (or not stable)
 * in stream names and file names.
 */
export function validateServerId(serverId: string): string {
  if (serverId.length === 0) throw new InvalidServerIdError(serverId, 'it is empty.');
  if (serverId.length > SERVER_ID_MAX) {
    throw new InvalidServerIdError(serverId, `it is longer than ${SERVER_ID_MAX} characters.`);
  }
  if (!SERVER_ID.test(serverId)) {
    const bad = [...serverId].find((c) => !/[a-z0-9_-]/.test(c));
    const what =
      bad === undefined
        ? 'it must start with a lowercase letter or a digit.'
        : `it may only hold lowercase letters, digits, "-" and "_", not ${describe(bad)}.`;
    throw new InvalidServerIdError(serverId, what);
  }
  return serverId;
}

function describe(c: string): string {
  if (c === ' ') return 'a space';
  if (c === '.') return 'a dot';
  if (c === '*' || c === '>') return `the wildcard "${c}"`;
  if (/\s/.test(c)) return 'white space';
  return `"${c}"`;
}

/** A job id or RPC method is one subject token too: the same rule keeps `>` out of it. */
function validateToken(kind: string, token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new Error(
      `${kind} "${token}" cannot be used in a subject: only letters, digits, "-" and "_".`,
    );
  }
  return token;
}

/** Every name one hosting server uses on NATS. */
export interface ServerSubjects {
  server: string;
  /** Everything of this server: what the controller watches, what no other agent may touch. */
  all: string;
  /** Where the controller enqueues the server's jobs (captured by `jobsStream`). */
  jobs: string;
  /** The server's work-queue stream: a message is removed once the agent acks it. */
  jobsStream: string;
  jobsConsumer: string;
  /** Progress, log and result of one job. */
  events(jobId: string): string;
  /**
   * The controller's durable consumer of one job's events (filtered to its subject, so consumers
   * of the work-queue events stream never overlap).
   */
  eventsConsumer(jobId: string): string;
  /** All of this server's events (permission pattern, subscription). */
  eventsAll: string;
  /** Request–reply subject of one method the agent answers. */
  rpc(method: RpcMethod): string;
  rpcAll: string;
  /** The agent's heartbeat: online/offline, versions, free space. */
  presence: string;
  /**
   * The agent's inbox prefix (client option `inboxPrefix`). Replies to the agent (JetStream
   * deliveries of its jobs, acks of its events) arrive here; with the default `_INBOX.` another
   * agent allowed to subscribe `_INBOX.>` would read them.
   */
  inboxPrefix: string;
  inboxAll: string;
}

export function serverSubjects(serverId: string): ServerSubjects {
  return subjectsOf(validateServerId(serverId));
}

function subjectsOf(server: string): ServerSubjects {
  const base = `${FLEET_ROOT}.${server}`;
  return {
    server,
    all: `${base}.>`,
    jobs: `${base}.jobs`,
    jobsStream: `HV_JOBS_${server}`,
    jobsConsumer: JOBS_CONSUMER,
    events: (jobId) => `${base}.events.${validateToken('Job id', jobId)}`,
    eventsConsumer: (jobId) => `ev_${server}_${validateToken('Job id', jobId)}`,
    eventsAll: `${base}.events.*`,
    rpc: (method) => `${base}.rpc.${validateToken('Method', method)}`,
    rpcAll: `${base}.rpc.*`,
    presence: `${base}.presence`,
    inboxPrefix: `${base}.inbox`,
    inboxAll: `${base}.inbox.>`,
  };
}

/**
 * The fleet's vault (`hostvault vault` on NATS, issue 13): its subjects are a server's, under a
 * token no hosting server can have (a server id starts with a letter or digit), so no agent's
 * permissions, presence or records ever match it, and only the vault's own identity and the
 * controllers may use them (nats-config.ts).
 */
export const VAULT_NODE = '_vault';

export function vaultSubjects(): ServerSubjects {
  return subjectsOf(VAULT_NODE);
}

/** Every server's presence, for the controller's Servers page. */
export const ALL_PRESENCE = `${FLEET_ROOT}.*.presence`;

/** Which server a fleet subject belongs to (its second token), or undefined for other subjects. */
export function serverOfSubject(subject: string): string | undefined {
  const [root, server] = subject.split('.');
  return root === FLEET_ROOT && server !== undefined && SERVER_ID.test(server) ? server : undefined;
}
