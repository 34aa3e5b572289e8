import { z } from 'zod';

/**
 * API scopes: what a session or an API token may do. A contract with the CLI and CI pipelines,
 * so names are stable: `<resource>:<verb>`, where `read` never mutates.
 */
export const SCOPES = [
  'devices:read',
  'devices:write',
  'models:read',
  'models:publish',
  'rollouts:read',
  'rollouts:write',
  'health:read',
  'alerts:write',
  'tokens:read',
  'tokens:write',
  'users:read',
  'users:write',
  'audit:read',
  'settings:read',
  'settings:write',
] as const;

export const ZScope = z.enum(SCOPES);
export type TScope = z.infer<typeof ZScope>;

export const ROLES = ['admin', 'operator', 'viewer'] as const;
export const ZRole = z.enum(ROLES);
export type TRole = z.infer<typeof ZRole>;
