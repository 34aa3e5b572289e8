/**
 * The one error type core throws. Transports map `code` to their own status
 * (tRPC error codes, HTTP statuses, CLI exit codes); `message` is safe to show to the caller.
 */
export type DomainErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INVALID'
  | 'RATE_LIMITED'
  | 'PRECONDITION_FAILED';

export class DomainError extends Error {
  override readonly name = 'DomainError';
  /** Set once the refusal is in the audit log, so a transport does not record it twice. */
  audited = false;
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;

export const HTTP_STATUS: Record<DomainErrorCode, number> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID: 400,
  RATE_LIMITED: 429,
  PRECONDITION_FAILED: 412,
};
