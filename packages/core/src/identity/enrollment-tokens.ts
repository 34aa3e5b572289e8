import { randomBytes, randomUUID } from 'node:crypto';
import type { Db, EnrollmentTokenModel as EnrollmentToken } from '@edgefleet/db/client';
import type { Principal } from '../access.ts';
import { DomainError } from '../errors.ts';
import { type Clock, systemClock } from '../tokens.ts';
import { normaliseGroupName, normaliseTags, readTags, sha256Hex, type Tags } from './common.ts';

/** Distinct from API tokens ('eft_'), so neither can be mistaken for the other. */
export const ENROLLMENT_TOKEN_PREFIX = 'efe_';

export interface EnrollmentTokenInput {
  name?: string;
  group: string;
  tags?: Record<string, string>;
  maxUses?: number | null;
  expiresInHours?: number | null;
  autoApprove?: boolean;
  preauthorizedOnly?: boolean;
}

export type EnrollmentTokenStatus = 'active' | 'expired' | 'revoked' | 'used_up';

export interface EnrollmentTokenView {
  id: string;
  name: string;
  prefix: string;
  group: string;
  tags: Tags;
  maxUses: number | null;
  uses: number;
  autoApprove: boolean;
  preauthorizedOnly: boolean;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  status: EnrollmentTokenStatus;
}

export const hashEnrollmentToken = (token: string) => sha256Hex(token);

/** Why a token cannot enroll anyone now, or null while it still can. Revocation wins over the rest. */
export function enrollmentTokenProblem(
  row: Pick<EnrollmentToken, 'revokedAt' | 'expiresAt' | 'maxUses' | 'uses'>,
  now: Date,
): Exclude<EnrollmentTokenStatus, 'active'> | null {
  if (row.revokedAt) return 'revoked';
  if (row.expiresAt && row.expiresAt <= now) return 'expired';
  if (row.maxUses != null && row.uses >= row.maxUses) return 'used_up';
  return null;
}

export function toEnrollmentTokenView(row: EnrollmentToken, now: Date): EnrollmentTokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    group: row.groupName,
    tags: readTags(row.tags),
    maxUses: row.maxUses,
    uses: row.uses,
    autoApprove: row.autoApprove,
    preauthorizedOnly: row.preauthorizedOnly,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    createdAt: row.createdAt,
    status: enrollmentTokenProblem(row, now) ?? 'active',
  };
}

/** Creates a token; the secret is returned once and only its SHA-256 is stored. */
export async function createEnrollmentToken(
  db: Db,
  actor: Principal,
  input: EnrollmentTokenInput,
  clock: Clock = systemClock,
): Promise<{ token: string; view: EnrollmentTokenView }> {
  const group = normaliseGroupName(input.group);
  const tags = normaliseTags(input.tags);
  const name = input.name?.trim() || `enroll into ${group}`;
  if (name.length > 100) throw new DomainError('INVALID', 'Token name must be at most 100 characters');
  const maxUses = input.maxUses ?? null;
  if (maxUses !== null && (!Number.isInteger(maxUses) || maxUses < 1)) {
    throw new DomainError('INVALID', 'maxUses must be a whole number of at least 1');
  }
  const hours = input.expiresInHours ?? null;
  if (hours !== null && !(hours > 0 && hours <= 24 * 3650)) {
    throw new DomainError('INVALID', 'expiresInHours must be between 0 and 87600');
  }
  const now = clock.now();
  const token = ENROLLMENT_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const row = await db.enrollmentToken.create({
    data: {
      id: randomUUID(),
      name,
      prefix: token.slice(0, ENROLLMENT_TOKEN_PREFIX.length + 6),
      tokenHash: hashEnrollmentToken(token),
      groupName: group,
      tags,
      maxUses,
      autoApprove: input.autoApprove ?? false,
      preauthorizedOnly: input.preauthorizedOnly ?? false,
      expiresAt: hours === null ? null : new Date(now.getTime() + hours * 3_600_000),
      createdById: actor.userId,
      createdAt: now,
    },
  });
  return { token, view: toEnrollmentTokenView(row, now) };
}

export async function listEnrollmentTokens(db: Db, clock: Clock = systemClock): Promise<EnrollmentTokenView[]> {
  const rows = await db.enrollmentToken.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  const now = clock.now();
  return rows.map((r) => toEnrollmentTokenView(r, now));
}

/** Idempotent: revoking twice keeps the first revocation time. Devices already enrolled are not affected. */
export async function revokeEnrollmentToken(
  db: Db,
  id: string,
  clock: Clock = systemClock,
): Promise<EnrollmentTokenView> {
  const now = clock.now();
  const existing = await db.enrollmentToken.findUnique({ where: { id }, select: { revokedAt: true } });
  if (!existing) throw new DomainError('NOT_FOUND', `No enrollment token with id ${id}`);
  const row = await db.enrollmentToken.update({ where: { id }, data: { revokedAt: existing.revokedAt ?? now } });
  return toEnrollmentTokenView(row, now);
}
