/** A failure the agent explains in one line; `exitCode` is what the command exits with. */
export class AgentError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

export const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));
