/**
 * A failure of the agent as the control plane sees it: a stable code, the customer's words and
 * restic's own detail for the log. It is plain data on the wire (`agentFailureSchema`); this
 * class is only its in-process form, so callers can `catch` it.
 */
import { HostvaultError, NotFoundError, type ErrorCode } from '../errors/index.js';
import {
  AGENT_ERROR_CODES,
  BROWSE_ERROR_CODES,
  type AgentErrorCode,
  type AgentFailure,
} from './protocol.js';

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  readonly detail: string;
  readonly from: AgentFailure['from'];

  constructor(failure: AgentFailure) {
    super(failure.message);
    this.name = 'AgentError';
    this.code = failure.code;
    this.detail = failure.detail ?? '';
    this.from = failure.from;
  }

  toFailure(): AgentFailure {
    return {
      code: this.code,
      message: this.message,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(this.from ? { from: this.from } : {}),
    };
  }
}

const CODES: ReadonlySet<string> = new Set(AGENT_ERROR_CODES);

/**
 * Any error as a failure: the host's error classes (restic's, browse's, the repository's) carry
 * their condition in `kind` or `code`, read here by shape so this module needs none of them.
 */
export function failureOf(error: unknown): AgentFailure {
  if (error instanceof AgentError) return error.toFailure();
  if (!(error instanceof Error)) return { code: 'failed', message: String(error) };
  const fields = error as { kind?: unknown; code?: unknown; detail?: unknown };
  const named =
    error.name === 'TargetRefusedError'
      ? 'target-refused'
      : [fields.kind, fields.code].find((c): c is string => typeof c === 'string' && CODES.has(c));
  const detail = typeof fields.detail === 'string' && fields.detail ? fields.detail : undefined;
  const restic = error.name === 'EngineError' || error.name === 'PartialBackupError';
  return {
    code: (named ?? 'failed') as AgentErrorCode,
    message: error.message,
    ...(detail ? { detail } : {}),
    ...(restic ? { from: 'restic' as const } : {}),
  };
}

/** The error as the control plane receives it: always an AgentError. */
export function asAgentError(error: unknown): AgentError {
  return error instanceof AgentError ? error : new AgentError(failureOf(error));
}

/**
 * The agent's refusals of the request itself (a browse or download path it will not serve, a
 * target it may not reach) in the service's codes; undefined for a failure (restic's, or any
 * other), which the caller reports as its own. `not-found` is the one "not found" of the API.
 */
const REFUSALS: Partial<Record<AgentErrorCode, ErrorCode>> = {
  'invalid-path': 'browse.invalid_path',
  'invalid-snapshot-id': 'browse.invalid_snapshot_id',
  'invalid-page': 'browse.invalid_page',
  'invalid-query': 'browse.invalid_query',
  'outside-roots': 'browse.outside_roots',
  'not-found': 'not_found',
  'not-a-directory': 'browse.not_a_directory',
  'not-a-file': 'browse.not_a_file',
  'no-content': 'browse.no_content',
  'not-open': 'browse.not_open',
  'target-refused': 'target.address_refused',
};

/** Browse refusals name the request's `path` (a search its `q`); the others the request as a whole. */
const PATH_REFUSALS: ReadonlySet<AgentErrorCode> = new Set<AgentErrorCode>(BROWSE_ERROR_CODES);

export function refusalOf(error: AgentError): HostvaultError | undefined {
  const code = error.from ? undefined : REFUSALS[error.code];
  if (!code) return undefined;
  if (code === 'not_found') return new NotFoundError(error.message);
  const fields = PATH_REFUSALS.has(error.code)
    ? [{ field: error.code === 'invalid-query' ? 'q' : 'path', code, message: error.message }]
    : undefined;
  return new HostvaultError(code, error.message, { fields, cause: error });
}
