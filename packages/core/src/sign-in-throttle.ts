import type { Db } from '@edgefleet/db/client';
import { DomainError } from './errors.ts';
import { type Clock, systemClock } from './tokens.ts';

/**
 * Slows password guessing two ways: per account (a botnet spreading guesses over many
 * addresses) and per address (one host trying many accounts). Failures live in the database
 * so every web replica counts the same attempts.
 */
export interface ThrottlePolicy {
  windowMs: number;
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  windowMs: 15 * 60_000,
  maxFailuresPerAccount: 5,
  maxFailuresPerAddress: 20,
};

export async function assertSignInAllowed(
  db: Db,
  attempt: { email: string; ip: string | null },
  policy: ThrottlePolicy = DEFAULT_THROTTLE,
  clock: Clock = systemClock,
): Promise<void> {
  const since = new Date(clock.now().getTime() - policy.windowMs);
  const email = attempt.email.trim().toLowerCase();
  const [perAccount, perAddress] = await Promise.all([
    db.loginFailure.count({ where: { email, createdAt: { gte: since } } }),
    attempt.ip ? db.loginFailure.count({ where: { ip: attempt.ip, createdAt: { gte: since } } }) : 0,
  ]);
  if (perAccount >= policy.maxFailuresPerAccount || perAddress >= policy.maxFailuresPerAddress) {
    const minutes = Math.ceil(policy.windowMs / 60_000);
    throw new DomainError('RATE_LIMITED', `Too many failed sign-ins; try again in ${minutes} minutes`);
  }
}

export async function recordSignInResult(
  db: Db,
  attempt: { email: string; ip: string | null; ok: boolean },
  clock: Clock = systemClock,
): Promise<void> {
  const email = attempt.email.trim().toLowerCase();
  if (attempt.ok) {
    // A correct password clears the account's count; the address's count stays.
    await db.loginFailure.updateMany({ where: { email }, data: { email: '' } });
    return;
  }
  await db.loginFailure.create({ data: { email, ip: attempt.ip, createdAt: clock.now() } });
}
