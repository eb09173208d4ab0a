/**
 * A failure of the agent as the control plane sees it: a stable code, the customer's words and
 * restic's own detail for the log. It is plain data on the wire (`agentFailureSchema`); this
 * class is only its in-process form, so callers can `catch` it.
 */
import { AGENT_ERROR_CODES, type AgentErrorCode, type AgentFailure } from './protocol.js';

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
