import { randomUUID } from 'node:crypto';

export interface UpdateLock {
  id: string;
  /** Who holds it, as the application said: shown to operators in reports and logs. */
  holder: string;
  acquiredAt: string;
  expiresAt: string;
}

export interface LockBookOptions {
  now?: () => Date;
  /** Applies when acquire() gets no TTL (default 1 h). */
  defaultTtlSeconds?: number;
  /** Longest TTL granted (default 24 h): a crashed application cannot block updates for longer. */
  maxTtlSeconds?: number;
  /** Most locks held at once (default 64). */
  maxLocks?: number;
}

export class LockError extends Error {
  override readonly name = 'LockError';
  constructor(
    /** `invalid`: a bad holder or TTL; `full`: too many locks held. */
    readonly code: 'invalid' | 'full',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Update locks held by local applications (POST /v1/locks): while any is held the installer
 * does not switch models unless the instruction says `force`. Every lock expires, so an
 * application that dies holding one delays updates by its TTL at most; renewing is acquiring
 * again. In memory only: an agent restart releases every lock.
 */
export class LockBook {
  private readonly locks = new Map<string, UpdateLock>();
  private readonly now: () => Date;

  constructor(private readonly opts: LockBookOptions = {}) {
    this.now = opts.now ?? (() => new Date());
  }

  held(): boolean {
    return this.list().length > 0;
  }

  /** Unexpired locks, oldest first. */
  list(): UpdateLock[] {
    const now = this.now().getTime();
    for (const [id, lock] of this.locks) if (Date.parse(lock.expiresAt) <= now) this.locks.delete(id);
    return [...this.locks.values()];
  }

  acquire(holder: string, ttlSeconds?: number): UpdateLock {
    const name = holder.trim();
    if (name.length === 0 || name.length > 128) throw new LockError('invalid', 'holder must be 1-128 characters');
    const max = this.opts.maxTtlSeconds ?? 86_400;
    const ttl = ttlSeconds ?? this.opts.defaultTtlSeconds ?? 3600;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > max)
      throw new LockError('invalid', `ttlSeconds must be an integer 1-${max}`);
    if (this.list().length >= (this.opts.maxLocks ?? 64)) throw new LockError('full', 'too many update locks are held');
    const now = this.now();
    const lock: UpdateLock = {
      id: randomUUID(),
      holder: name,
      acquiredAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttl * 1000).toISOString(),
    };
    this.locks.set(lock.id, lock);
    return lock;
  }

  /** False when no such lock is held (never was, released, or expired). */
  release(id: string): boolean {
    this.list();
    return this.locks.delete(id);
  }
}
