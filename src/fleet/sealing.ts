/**
 * Requests to an agent carry secrets (repository passwords, S3 keys, FTP passwords), and a queued
 * job sits in nats-server's JetStream store on disk until the agent takes it. So the controller
 * seals each request to the receiving agent's curve (x25519) key, and the agent opens it only
 * when it was sealed by its controller's key: neither nats-server, its store nor an identity that
 * may read the stream sees the secrets, and a payload sealed to another agent does not open here.
 *
 * - The agent makes its curve key at enrollment (src/fleet/enroll.ts) and the controller records
 *   its public part with the server (`servers.curve_key`).
 * - The controller's curve key is derived from the master key, so every controller of a fleet
 *   (they share the master key and the store) has the same one without another file to copy.
 * - What is sealed names what it is for (the server, and the job's id and kind or the request's
 *   method), so a sealed payload cannot be passed off as another job or request.
 */
import { hkdfSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createCurve, fromCurveSeed, fromPublic, Prefix, type KeyPair } from '@nats-io/nkeys';
// Not re-exported by the package: needed to make a curve seed of derived bytes.
import { Codec } from '@nats-io/nkeys/lib/codec.js';
import type { RpcMethod } from './subjects.js';

export type { KeyPair };

const HKDF_INFO = 'hostvault fleet curve key v1';

/** The controller's curve key pair, derived from the master key (32 bytes). */
export function controllerCurveKey(masterKey: Buffer): KeyPair {
  const raw = new Uint8Array(hkdfSync('sha256', masterKey, Buffer.alloc(0), HKDF_INFO, 32));
  return fromCurveSeed(Codec.encodeSeed(Prefix.Curve, raw));
}

/** A fresh curve key pair: an agent's, made at enrollment. */
export function newCurveKey(): KeyPair {
  return createCurve();
}

/** A curve key pair from its seed (`SX…`), as kept in the agent's seed file. */
export function curveKeyFromSeed(seed: string): KeyPair {
  return fromCurveSeed(new TextEncoder().encode(seed.trim()));
}

/** Whether `key` is a public curve key (`X…`). */
export function isPublicCurveKey(key: string): boolean {
  try {
    fromPublic(key);
    return key.startsWith('X');
  } catch {
    return false;
  }
}

/** A sealed payload that cannot be opened; never carries the payload. */
export class SealedPayloadError extends Error {
  override readonly name = 'SealedPayloadError';
}

/**
 * `value` as JSON, sealed by `sender` to the public curve key `recipient`, bound to `purpose`:
 * base64 text, to stand in a JSON message.
 */
export function sealFor(
  sender: KeyPair,
  recipient: string,
  purpose: string,
  value: unknown,
): string {
  const plain = new TextEncoder().encode(JSON.stringify({ for: purpose, value }));
  return Buffer.from(sender.seal(plain, recipient)).toString('base64');
}

/**
 * Opens what `sender` (a public curve key) sealed to `recipient` for `purpose`. Throws when it was
 * sealed by another key, to another key, for another purpose, or was changed on the way.
 */
export function openFrom(
  recipient: KeyPair,
  sender: string,
  purpose: string,
  sealed: string,
): unknown {
  let opened: Uint8Array | null = null;
  try {
    opened = recipient.open(new Uint8Array(Buffer.from(sealed, 'base64')), sender);
  } catch {
    opened = null;
  }
  if (!opened)
    throw new SealedPayloadError(
      "It was not sealed by this agent's controller to this agent's key (sealed to another agent, by another controller, or changed on the way).",
    );
  let content: { for?: unknown; value?: unknown };
  try {
    content = JSON.parse(new TextDecoder().decode(opened)) as { for?: unknown; value?: unknown };
  } catch {
    throw new SealedPayloadError('Its sealed content is not JSON.');
  }
  if (content.for !== purpose)
    throw new SealedPayloadError(
      `It was sealed for ${JSON.stringify(content.for)}, not for ${JSON.stringify(purpose)}.`,
    );
  return content.value;
}

/**
 * The request–reply methods whose requests carry secrets (repository passwords, target
 * credentials), sealed like jobs; for `download` its start (`next` and `close` name a stream only).
 */
export const SEALED_METHODS: readonly RpcMethod[] = [
  'browse',
  'download',
  'restore-preview',
  'test-connection',
];

/** What a sealed job is bound to: its server, dispatch id and kind. */
export function jobPurpose(server: string, id: string, kind: string): string {
  return `job ${server} ${id} ${kind}`;
}

/** What a sealed request–reply body is bound to: its server and method. */
export function rpcPurpose(server: string, method: string): string {
  return `rpc ${server} ${method}`;
}

/** The controller's side: its key, and the recorded public key of the agent of each server. */
export interface ControllerSealing {
  /** The controller's curve key pair (controllerCurveKey). */
  controllerKey(): Promise<KeyPair>;
  /**
   * The agent's public curve key as recorded at its enrollment; null for an agent enrolled before
   * payloads were sealed (or a controller's default server, never enrolled): its requests go
   * unsealed, and the Servers page says so.
   */
  agentKey(server: string): Promise<string | null | undefined>;
}

/** The agent's side: its own curve key pair and its controller's public curve key. */
export interface AgentSealing {
  keyPair: KeyPair;
  controllerKey: string;
}

/**
 * The agent's sealing from its settings (what enrollment wrote): HOSTVAULT_NATS_CURVE_SEED_FILE
 * (its curve seed, `SX…`) and HOSTVAULT_CONTROLLER_CURVE_KEY (`X…`), set together. Neither: an
 * agent enrolled before requests were sealed, which takes them unsealed.
 */
export async function loadAgentSealing(env: NodeJS.ProcessEnv): Promise<AgentSealing | undefined> {
  const seedFile = env.HOSTVAULT_NATS_CURVE_SEED_FILE?.trim();
  const controllerKey = env.HOSTVAULT_CONTROLLER_CURVE_KEY?.trim();
  if (!seedFile && !controllerKey) return undefined;
  if (!seedFile || !controllerKey)
    throw new Error(
      'HOSTVAULT_NATS_CURVE_SEED_FILE and HOSTVAULT_CONTROLLER_CURVE_KEY must be set together (hostvault agent enroll writes both)',
    );
  if (!isPublicCurveKey(controllerKey))
    throw new Error('HOSTVAULT_CONTROLLER_CURVE_KEY is not a public curve key (X…)');
  const seed = await readFile(seedFile, 'utf8');
  try {
    return { keyPair: curveKeyFromSeed(seed), controllerKey };
  } catch {
    throw new Error(`${seedFile} holds no curve seed (SX…)`);
  }
}
