/**
 * Why an inference operation failed. Transports map the code, never the message: `bad_input`
 * is the caller's fault (HTTP 400), `not_found` names no served model (404), `unavailable` is a
 * session being swapped out or a backend that cannot load (503); the rest refuse an artifact
 * during prepare() and say why in the message.
 */
export type InferenceErrorCode =
  | 'bad_input'
  | 'not_found'
  | 'unavailable'
  | 'backend'
  | 'no_backend'
  | 'bad_artifact'
  | 'smoke_test';

export class InferenceError extends Error {
  override readonly name = 'InferenceError';
  constructor(
    readonly code: InferenceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const isInferenceError = (e: unknown, code?: InferenceErrorCode): e is InferenceError =>
  e instanceof InferenceError && (code === undefined || e.code === code);
