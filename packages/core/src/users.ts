import { randomUUID } from 'node:crypto';
import type { Db } from '@edgefleet/db/client';
import type { TRole } from '@edgefleet/protocol/scopes';
import { hashPassword } from 'better-auth/crypto';
import type { Principal } from './access.ts';
import { DomainError } from './errors.ts';

export const MIN_PASSWORD_LENGTH = 10;

export interface UserView {
  id: string;
  email: string;
  name: string;
  role: TRole;
  disabled: boolean;
  createdAt: Date;
}
const userSelect = { id: true, email: true, name: true, role: true, disabled: true, createdAt: true } as const;

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function normaliseEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (!EMAIL.test(e)) throw new DomainError('INVALID', `Not an email address: ${email}`);
  return e;
}

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new DomainError('INVALID', `Password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
}

export interface CreateUserInput {
  email: string;
  name?: string;
  password: string;
  role: TRole;
}

/**
 * Creates an operator account with a credential the sign-in flow (better-auth) accepts:
 * its `credential` account row holds better-auth's own password hash.
 */
export async function createUser(db: Db, input: CreateUserInput): Promise<UserView> {
  const email = normaliseEmail(input.email);
  checkPassword(input.password);
  const existing = await db.user.findUnique({ where: { email }, select: { id: true } });
  if (existing) throw new DomainError('CONFLICT', `A user with email ${email} already exists`);
  const id = randomUUID();
  const password = await hashPassword(input.password);
  return db.user.create({
    data: {
      id,
      email,
      username: email,
      name: input.name?.trim() || email.split('@')[0] || email,
      role: input.role,
      emailVerified: true,
      accounts: { create: { id: randomUUID(), accountId: id, providerId: 'credential', password } },
    },
    select: userSelect,
  });
}

export async function listUsers(db: Db): Promise<UserView[]> {
  return db.user.findMany({ orderBy: { createdAt: 'asc' }, select: userSelect });
}

async function assertNotLastAdmin(db: Db, userId: string): Promise<void> {
  const admins = await db.user.count({ where: { role: 'admin', disabled: false, id: { not: userId } } });
  if (admins === 0) throw new DomainError('PRECONDITION_FAILED', 'The fleet must keep at least one active admin');
}

async function findUser(db: Db, id: string) {
  const user = await db.user.findUnique({ where: { id }, select: userSelect });
  if (!user) throw new DomainError('NOT_FOUND', `No user with id ${id}`);
  return user;
}

export async function setUserRole(db: Db, actor: Principal, id: string, role: TRole): Promise<UserView> {
  const user = await findUser(db, id);
  if (user.role === 'admin' && role !== 'admin') await assertNotLastAdmin(db, id);
  if (id === actor.userId && role !== user.role) {
    throw new DomainError('PRECONDITION_FAILED', 'You cannot change your own role');
  }
  return db.user.update({ where: { id }, data: { role }, select: userSelect });
}

/** Disabling signs the user out everywhere; their API tokens stop working at once. */
export async function setUserDisabled(db: Db, actor: Principal, id: string, disabled: boolean): Promise<UserView> {
  const user = await findUser(db, id);
  if (disabled && id === actor.userId) throw new DomainError('PRECONDITION_FAILED', 'You cannot disable yourself');
  if (disabled && user.role === 'admin') await assertNotLastAdmin(db, id);
  const [updated] = await db.$transaction([
    db.user.update({ where: { id }, data: { disabled }, select: userSelect }),
    db.session.deleteMany({ where: { userId: disabled ? id : '' } }),
  ]);
  return updated;
}

export async function resetUserPassword(db: Db, id: string, password: string): Promise<void> {
  checkPassword(password);
  await findUser(db, id);
  const hash = await hashPassword(password);
  await db.$transaction([
    db.account.updateMany({ where: { userId: id, providerId: 'credential' }, data: { password: hash } }),
    db.session.deleteMany({ where: { userId: id } }),
  ]);
}

export async function getUser(db: Db, id: string): Promise<UserView> {
  return findUser(db, id);
}
