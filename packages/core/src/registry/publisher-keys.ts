import type { Db } from '@edgefleet/db/client';
import type { Principal } from '../access.ts';
import { DomainError } from '../errors.ts';
import { parsePublisherPublicKey, type TufKeyJson } from './tuf-key.ts';

/**
 * Publisher keys: the ed25519 public keys whose signatures the registry accepts. Only public
 * halves are ever here; CI holds the private keys. Revoking keeps the row (versions reference
 * it, and their signatures must still be explainable) but stops both publishing and rollouts.
 * Mutations take the actor like the other services; transports write the audit events.
 */
export interface PublisherKeyView {
  /** TUF key id: sha256 of the canonical key JSON. */
  id: string;
  name: string;
  /** ed25519 public key, hex (TUF keyval.public). */
  publicKey: string;
  createdAt: Date;
  revokedAt: Date | null;
  revoked: boolean;
  versionCount: number;
}

const keySelect = {
  id: true,
  name: true,
  publicKey: true,
  createdAt: true,
  revokedAt: true,
  _count: { select: { versions: true } },
} as const;

type KeyRow = { id: string; name: string; publicKey: string; createdAt: Date; revokedAt: Date | null } & {
  _count: { versions: number };
};

const toView = ({ _count, ...row }: KeyRow): PublisherKeyView => ({
  ...row,
  revoked: row.revokedAt !== null,
  versionCount: _count.versions,
});

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export async function addPublisherKey(
  db: Db,
  actor: Principal,
  input: { name: string; publicKey: TufKeyJson | string },
): Promise<PublisherKeyView> {
  const name = input.name.trim();
  if (!KEY_NAME.test(name)) {
    throw new DomainError('INVALID', 'name: 1-64 letters, digits, . _ or -, starting with a letter or digit');
  }
  const { keyId, key } = parsePublisherPublicKey(input.publicKey);
  const clash = await db.publisherKey.findFirst({
    where: { OR: [{ id: keyId }, { name }] },
    select: { id: true, name: true },
  });
  if (clash?.id === keyId) throw new DomainError('CONFLICT', `This key is already registered as "${clash.name}"`);
  if (clash) throw new DomainError('CONFLICT', `A publisher key named "${name}" already exists`);
  try {
    const row = await db.publisherKey.create({
      data: { id: keyId, name, publicKey: key.keyval.public, createdById: actor.userId },
      select: keySelect,
    });
    return toView(row);
  } catch (e) {
    // A concurrent add of the same key or name.
    if ((e as { code?: string } | null)?.code === 'P2002') {
      throw new DomainError('CONFLICT', `A publisher key named "${name}" or with id ${keyId} already exists`);
    }
    throw e;
  }
}

export async function listPublisherKeys(db: Db): Promise<PublisherKeyView[]> {
  const rows = await db.publisherKey.findMany({ orderBy: [{ createdAt: 'asc' }, { name: 'asc' }], select: keySelect });
  return rows.map(toView);
}

/** Revokes by id or name; revoking a revoked key returns it unchanged (the first revocation time stands). */
export async function revokePublisherKey(db: Db, _actor: Principal, idOrName: string): Promise<PublisherKeyView> {
  const where = { OR: [{ id: idOrName }, { name: idOrName }] };
  const row = await db.publisherKey.findFirst({ where, select: { id: true } });
  if (!row) throw new DomainError('NOT_FOUND', `No publisher key with id or name "${idOrName}"`);
  await db.publisherKey.updateMany({ where: { id: row.id, revokedAt: null }, data: { revokedAt: new Date() } });
  return toView(await db.publisherKey.findUniqueOrThrow({ where: { id: row.id }, select: keySelect }));
}

/** Every key, for verification: revoked ones are passed along so a refusal can name them. */
export async function verificationKeys(db: Pick<Db, 'publisherKey'>) {
  const rows = await db.publisherKey.findMany({ select: { id: true, name: true, publicKey: true, revokedAt: true } });
  return rows.map((r) => ({ id: r.id, name: r.name, publicKey: r.publicKey, revoked: r.revokedAt !== null }));
}
