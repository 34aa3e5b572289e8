import { SCOPES, type TRole, type TScope } from '@edgefleet/protocol/scopes';
import { DomainError } from './errors.ts';

/** Scopes only admins hold: managing people, reading the audit trail, changing settings. */
const ADMIN_ONLY: ReadonlySet<TScope> = new Set(['users:write', 'audit:read', 'settings:write']);

/** What each role may do. Viewers read (but not the audit trail); they never mutate. */
export function scopesForRole(role: TRole): TScope[] {
  switch (role) {
    case 'admin':
      return [...SCOPES];
    case 'operator':
      return SCOPES.filter((s) => !ADMIN_ONLY.has(s));
    case 'viewer':
      return SCOPES.filter((s) => s.endsWith(':read') && !ADMIN_ONLY.has(s));
  }
}

/** Who is acting: a signed-in operator (browser session) or an API token (CLI, CI). */
export type Principal =
  | { kind: 'user'; userId: string; email: string; role: TRole; scopes: TScope[]; sessionId: string }
  | {
      kind: 'token';
      tokenId: string;
      tokenName: string;
      userId: string;
      email: string;
      role: TRole;
      scopes: TScope[];
    };

export function hasScope(principal: Principal, scope: TScope): boolean {
  return principal.scopes.includes(scope);
}

export function requireScope(principal: Principal | null, scope: TScope): Principal {
  if (!principal) throw new DomainError('UNAUTHORIZED', 'Sign in or pass an API token');
  if (!hasScope(principal, scope)) {
    throw new DomainError('FORBIDDEN', `Missing scope ${scope}`, { scope });
  }
  return principal;
}

/** A token's power is its scopes intersected with its owner's current role: demoting a user demotes their tokens. */
export function effectiveTokenScopes(tokenScopes: readonly string[], role: TRole): TScope[] {
  const allowed = new Set(scopesForRole(role));
  return tokenScopes.filter((s): s is TScope => allowed.has(s as TScope));
}
