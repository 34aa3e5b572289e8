import type { Log } from '../runtime.ts';
import type { Session } from './backend.ts';
import { InferenceError } from './errors.ts';

export type LeaseRole = 'held' | 'serving' | 'shadow';

/**
 * Reference counting for one loaded session. Invariant: the session is unloaded exactly once,
 * and only when no role holds it (the preparer's hold, serving, shadow) and no request is
 * running on it. Callers take a request slot (`enter`) in the same synchronous step in which
 * they read which lease serves, so a switch can never unload a session between the two.
 */
export class SessionLease {
  private inflight = 0;
  private readonly roles = new Set<LeaseRole>(['held']);
  private unloading: Promise<void> | null = null;
  private resolveClosed!: () => void;
  /** Resolves once the session has been unloaded. */
  readonly closed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(
    readonly session: Session,
    private readonly label: string,
    private readonly log: Log,
  ) {}

  /** Waits up to `ms` for the unload; false when requests still run then (it unloads when they return). */
  async waitClosed(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const closed = await Promise.race([this.closed.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return closed;
  }

  get unloaded(): boolean {
    return this.unloading !== null;
  }

  get running(): number {
    return this.inflight;
  }

  has(role: LeaseRole): boolean {
    return this.roles.has(role);
  }

  add(role: LeaseRole): void {
    if (this.unloading) throw new InferenceError('unavailable', `${this.label} has been unloaded`);
    this.roles.add(role);
  }

  drop(role: LeaseRole): void {
    this.roles.delete(role);
    this.maybeUnload();
  }

  enter(): void {
    if (this.unloading) throw new InferenceError('unavailable', `${this.label} has been unloaded`);
    this.inflight++;
  }

  exit(): void {
    this.inflight--;
    this.maybeUnload();
  }

  private maybeUnload(): void {
    if (this.unloading || this.roles.size > 0 || this.inflight > 0) return;
    this.unloading = this.session
      .unload()
      .catch((e) => this.log(`${this.label}: unloading failed: ${(e as Error).message}`))
      .finally(() => this.resolveClosed());
  }
}
