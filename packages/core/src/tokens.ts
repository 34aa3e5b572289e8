import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '@edgefleet/db/client';
import type { TRole, TScope } from '@edgefleet/protocol/scopes';
import { effectiveTokenScopes, type Principal } from './access.ts';
import { DomainError } from './errors.ts';

/** Every token starts with this, so secret scanners and humans can recognise one. */
export const TOKEN_PREFIX = 'eft_';
/** Writing last-used on every request would turn reads into writes; once a minute is enough. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface ApiTokenView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  owner: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

const viewSelect = {
  id: true,
  name: true,
  prefix: true,
  scopes: true,
  createdAt: true,
  expiresAt: true,
  lastUsedAt: true,
  revokedAt: true,
  user: { select: { email: true } },
} as const;

type ViewRow = { user: { email: string } } & Omit<ApiTokenView, 'owner'>;
const toView = ({ user, ...row }: ViewRow): ApiTokenView => ({ ...row, owner: user.email });

export interface CreateTokenInput {
  name: string;
  scopes: TScope[];
  expiresInDays?: number | null;
}

/**
 * Creates a token for the acting principal. A principal can only hand out scopes it holds
 * itself, so a CI token can never mint a stronger one. The secret is returned once and
 * only its hash is stored.
 */
export async function createApiToken(
  db: Db,
  actor: Principal,
  input: CreateTokenInput,
  clock: Clock = systemClock,
): Promise<{ token: string; view: ApiTokenView }> {
  const name = input.name.trim();
  if (!name) throw new DomainError('INVALID', 'Token name must not be empty');
  const scopes = [...new Set(input.scopes)];
  if (scopes.length === 0) throw new DomainError('INVALID', 'A token needs at least one scope');
  const missing = scopes.filter((s) => !actor.scopes.includes(s));
  if (missing.length > 0) {
    throw new DomainError('FORBIDDEN', `You cannot grant scopes you do not hold: ${missing.join(', ')}`);
  }
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const expiresAt =
    input.expiresInDays == null ? null : new Date(clock.now().getTime() + input.expiresInDays * 86_400_000);
  const row = await db.apiToken.create({
    data: {
      id: randomUUID(),
      name,
      prefix: token.slice(0, TOKEN_PREFIX.length + 6),
      tokenHash: hashToken(token),
      scopes,
      userId: actor.userId,
      expiresAt,
    },
    select: viewSelect,
  });
  return { token, view: toView(row) };
}

/** Admins (users:write) see every token; everyone else sees their own. */
export async function listApiTokens(db: Db, actor: Principal): Promise<ApiTokenView[]> {
  const all = actor.scopes.includes('users:write');
  const rows = await db.apiToken.findMany({
    where: all ? {} : { userId: actor.userId },
    orderBy: { createdAt: 'desc' },
    select: viewSelect,
  });
  return rows.map(toView);
}

export async function revokeApiToken(
  db: Db,
  actor: Principal,
  id: string,
  clock: Clock = systemClock,
): Promise<ApiTokenView> {
  const row = await db.apiToken.findUnique({ where: { id }, select: { userId: true, revokedAt: true } });
  const mayRevokeOthers = actor.scopes.includes('users:write');
  if (!row || (row.userId !== actor.userId && !mayRevokeOthers)) {
    throw new DomainError('NOT_FOUND', `No token with id ${id}`);
  }
  const updated = await db.apiToken.update({
    where: { id },
    data: { revokedAt: row.revokedAt ?? clock.now() },
    select: viewSelect,
  });
  return toView(updated);
}

/** Resolves a presented token to a principal, or null when it is unknown, revoked, expired or its owner is disabled. */
export async function authenticateApiToken(
  db: Db,
  presented: string,
  clock: Clock = systemClock,
): Promise<Principal | null> {
  if (!presented.startsWith(TOKEN_PREFIX)) return null;
  const row = await db.apiToken.findUnique({
    where: { tokenHash: hashToken(presented) },
    include: { user: { select: { email: true, role: true, disabled: true } } },
  });
  const now = clock.now();
  if (!row || row.revokedAt || row.user.disabled) return null;
  if (row.expiresAt && row.expiresAt <= now) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  }
  const role = row.user.role as TRole;
  return {
    kind: 'token',
    tokenId: row.id,
    tokenName: row.name,
    userId: row.userId,
    email: row.user.email,
    role,
    scopes: effectiveTokenScopes(row.scopes, role),
  };
}
