import { SCOPES } from '@edgefleet/protocol/scopes';
import { describe, expect, it } from 'vitest';
import { effectiveTokenScopes, requireScope, scopesForRole } from './access.ts';
import { DomainError } from './errors.ts';

describe('role scopes', () => {
  it('gives admins every scope', () => {
    expect(scopesForRole('admin')).toEqual([...SCOPES]);
  });

  it('never lets a viewer mutate', () => {
    const viewer = scopesForRole('viewer');
    expect(viewer.length).toBeGreaterThan(0);
    expect(viewer.every((s) => s.endsWith(':read'))).toBe(true);
    expect(viewer).not.toContain('audit:read');
  });

  it('keeps user management, audit and settings changes from operators', () => {
    const operator = scopesForRole('operator');
    expect(operator).toContain('rollouts:write');
    expect(operator).toContain('models:publish');
    for (const s of ['users:write', 'audit:read', 'settings:write'] as const) expect(operator).not.toContain(s);
  });
});

describe('token scopes', () => {
  it('shrink when the owner is demoted', () => {
    expect(effectiveTokenScopes(['models:publish', 'devices:read'], 'viewer')).toEqual(['devices:read']);
  });

  it('drop names that are not scopes', () => {
    expect(effectiveTokenScopes(['devices:read', 'root:everything'], 'admin')).toEqual(['devices:read']);
  });
});

describe('requireScope', () => {
  const viewer = {
    kind: 'user' as const,
    userId: 'u1',
    email: 'v@x.test',
    role: 'viewer' as const,
    scopes: scopesForRole('viewer'),
    sessionId: 's1',
  };

  it('refuses the signed-out with UNAUTHORIZED', () => {
    expect(() => requireScope(null, 'devices:read')).toThrowError(
      expect.objectContaining({ code: 'UNAUTHORIZED' }) as DomainError,
    );
  });

  it('refuses a missing scope with FORBIDDEN naming it', () => {
    try {
      requireScope(viewer, 'tokens:write');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe('FORBIDDEN');
      expect((e as DomainError).message).toContain('tokens:write');
    }
  });

  it('passes a held scope', () => {
    expect(requireScope(viewer, 'devices:read')).toBe(viewer);
  });
});
