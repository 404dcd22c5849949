/**
 * Errors a person can act on (STYLE.md "Errors are values a person can act on").
 * Every error that crosses the AgentApi boundary is an AgentError with a stable
 * code, so the CLI maps it to an exit code and the UI to a message.
 */
export type AgentErrorCode =
  | 'invalid-request' // a request failed its schema: `field` names what was wrong
  | 'not-found'
  | 'conflict'
  | 'unauthorized' // the peer refused our credentials
  | 'untrusted-peer' // a TLS/JWK pin or verification failed
  | 'unreachable'
  | 'timeout'
  | 'protocol' // the peer spoke something we do not understand
  | 'refused' // the peer refused the operation itself (file name, object outside zone…)
  | 'capacity' // a queue cap was hit with policy "refuse new"
  | 'io'
  | 'internal';

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  /** Dotted path of the request field at fault, when there is one. */
  readonly field: string | undefined;
  /** True when retrying the same thing later can succeed (queue retry policy). */
  readonly transient: boolean;

  constructor(
    code: AgentErrorCode,
    message: string,
    options: { field?: string; transient?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    this.code = code;
    this.field = options.field;
    this.transient = options.transient ?? (code === 'unreachable' || code === 'timeout');
  }

  toJSON(): SerializedAgentError {
    return { code: this.code, message: this.message, field: this.field, transient: this.transient };
  }
}

export interface SerializedAgentError {
  code: AgentErrorCode;
  message: string;
  field: string | undefined;
  transient: boolean;
}

export function isAgentError(value: unknown): value is AgentError {
  return value instanceof AgentError;
}

/** A value that arrived over IPC or a WebSocket and has the shape of a serialized AgentError. */
export function isSerializedError(value: unknown): value is SerializedAgentError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** Rebuilds an AgentError on the far side of an IPC or WebSocket hop. */
export function fromSerialized(error: SerializedAgentError): AgentError {
  const options: { field?: string; transient: boolean } = { transient: error.transient === true };
  if (error.field !== undefined) options.field = error.field;
  return new AgentError(error.code, error.message, options);
}

/** Anything can be thrown, even an object String() cannot convert: describing it never throws. */
export function describeThrown(error: unknown): string {
  try {
    return String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}

/** Wraps anything thrown into an AgentError without losing its message. */
export function toAgentError(error: unknown): AgentError {
  if (error instanceof AgentError) return error;
  const message = error instanceof Error ? error.message : describeThrown(error);
  return new AgentError('internal', message, { cause: error });
}
