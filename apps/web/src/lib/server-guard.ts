import 'server-only';
import { TRPCError } from '@trpc/server';

/** True when a server-side caller refused the principal (missing scope). Pages render a "not allowed" state. */
export function isForbidden(e: unknown): boolean {
  return e instanceof TRPCError && e.code === 'FORBIDDEN';
}

/** Runs a caller procedure; FORBIDDEN becomes `{ forbidden: true }`, anything else is rethrown to error.tsx. */
export async function guarded<T>(fn: () => Promise<T>): Promise<{ forbidden: true } | { forbidden: false; data: T }> {
  try {
    return { forbidden: false, data: await fn() };
  } catch (e) {
    if (isForbidden(e)) return { forbidden: true };
    throw e;
  }
}
