import { createTestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, createTestPki } from './test/harness.ts';

const kinds = await testDatabaseKinds();

describe.each(kinds)('API over HTTP on %s', (kind) => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let h: ReturnType<typeof createApiHarness>;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    h = createApiHarness(t.db, await createTestPki(t.db));
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('sign-in', () => {
    it('signs an operator in with an httpOnly, SameSite session cookie', async () => {
      const u = await h.makeUser('operator');
      const { res, cookie } = await h.signIn(u.email, u.password);
      expect(res.status).toBe(200);
      const setCookie = res.headers.getSetCookie().join('\n');
      expect(setCookie).toMatch(/HttpOnly/i);
      expect(setCookie).toMatch(/SameSite=Lax/i);
      const me = await h.call('system.whoami', undefined, { cookie }, 'query');
      expect(me.status).toBe(200);
      expect(me.data).toMatchObject({ email: u.email, role: 'operator', kind: 'user' });
    });

    it('accepts local addresses such as admin@localhost', async () => {
      const { createUser } = await import('@edgefleet/core/users');
      await createUser(t.db, { email: 'root@localhost', password: 'local-password-1', role: 'admin' });
      const { res } = await h.signIn('root@localhost', 'local-password-1');
      expect(res.status).toBe(200);
    });

    it('refuses a wrong password with 401, no session, and an audit entry', async () => {
      const u = await h.makeUser('viewer');
      const { res, cookie } = await h.signIn(u.email, 'not-the-password', '198.51.100.1');
      expect(res.status).toBe(401);
      expect(cookie).not.toMatch(/session_token=[^;]+/);
      expect(await t.db.session.count({ where: { userId: u.id } })).toBe(0);
      const event = await t.db.auditEvent.findFirst({ where: { action: 'auth.signIn', actorLabel: u.email } });
      expect(event?.outcome).toBe('failure');
    });

    it('locks an account after repeated failures, even for the right password and from other addresses', async () => {
      const u = await h.makeUser('operator');
      for (let i = 0; i < 5; i++) {
        const { res } = await h.signIn(u.email, `wrong-${i}`, `192.0.2.${i + 1}`);
        expect(res.status).toBe(401);
      }
      const { res } = await h.signIn(u.email, u.password, '192.0.2.200');
      expect(res.status).toBe(429);
      expect(((await res.json()) as { message: string }).message).toMatch(/Too many failed sign-ins/);
    });

    it('limits one address guessing across many accounts', async () => {
      const ip = '198.51.100.99';
      for (let i = 0; i < 20; i++) await h.signIn(`nobody${i}@fleet.test`, 'guess-guess-guess', ip);
      const u = await h.makeUser('viewer');
      expect((await h.signIn(u.email, u.password, ip)).res.status).toBe(429);
      expect((await h.signIn(u.email, u.password, '198.51.100.100')).res.status).toBe(200);
    });

    it('refuses a disabled account and its tokens', async () => {
      const admin = await h.makeUser('admin');
      const u = await h.makeUser('operator');
      const token = await h.makeToken(u, ['devices:read']);
      const adminToken = await h.makeToken(admin, ['users:write']);
      const r = await h.call('users.setDisabled', { id: u.id, disabled: true }, { token: adminToken }, 'mutation');
      expect(r.status).toBe(200);
      expect((await h.signIn(u.email, u.password)).res.status).toBe(403);
      expect((await h.call('system.whoami', undefined, { token }, 'query')).status).toBe(401);
    });

    it('treats an expired session as signed out', async () => {
      const u = await h.makeUser('operator');
      const { cookie } = await h.signIn(u.email, u.password);
      await t.db.session.updateMany({ where: { userId: u.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const r = await h.call('system.whoami', undefined, { cookie }, 'query');
      expect(r.status).toBe(401);
    });

    it('does not let anyone sign up', async () => {
      const res = await h.request('/api/auth/sign-up/email', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'new@fleet.test', password: 'whatever-123456', name: 'x' }),
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(await t.db.user.count({ where: { email: 'new@fleet.test' } })).toBe(0);
    });
  });

  describe('API tokens', () => {
    it('are shown once and stored only as a hash', async () => {
      const u = await h.makeUser('operator');
      const { cookie } = await h.signIn(u.email, u.password);
      const r = await h.call('tokens.create', { name: 'ci', scopes: ['models:publish'] }, { cookie }, 'mutation');
      expect(r.status).toBe(200);
      const token: string = r.data.token;
      expect(token).toMatch(/^eft_/);
      const row = await t.db.apiToken.findUniqueOrThrow({ where: { id: r.data.view.id } });
      expect(JSON.stringify(row)).not.toContain(token.slice(10));
      const list = await h.call('tokens.list', undefined, { cookie }, 'query');
      expect(JSON.stringify(list.data)).not.toContain(token.slice(10));
      expect(list.data.map((x: { name: string }) => x.name)).toContain('ci');
    });

    it('authenticate the CLI, record last use, and stop working once revoked', async () => {
      const u = await h.makeUser('operator');
      const token = await h.makeToken(u, ['tokens:read', 'tokens:write']);
      const me = await h.call('system.whoami', undefined, { token }, 'query');
      expect(me.data).toMatchObject({ kind: 'token', email: u.email });
      const row = await t.db.apiToken.findFirstOrThrow({ where: { userId: u.id } });
      expect(row.lastUsedAt).not.toBeNull();
      const revoke = await h.call('tokens.revoke', { id: row.id }, { token }, 'mutation');
      expect(revoke.status).toBe(200);
      const after = await h.call('system.whoami', undefined, { token }, 'query');
      expect(after.status).toBe(401);
      expect(after.error?.message).toMatch(/invalid, revoked or expired/);
    });

    it('refuse a procedure outside their scopes with 403', async () => {
      const u = await h.makeUser('admin');
      const token = await h.makeToken(u, ['devices:read']);
      const r = await h.call('tokens.list', undefined, { token }, 'query');
      expect(r.status).toBe(403);
      expect(r.error?.message).toContain('tokens:write'.replace('write', 'read'));
    });

    it('cannot mint a token stronger than themselves', async () => {
      const u = await h.makeUser('admin');
      const token = await h.makeToken(u, ['tokens:write', 'devices:read']);
      const r = await h.call('tokens.create', { name: 'escalate', scopes: ['users:write'] }, { token }, 'mutation');
      expect(r.status).toBe(403);
      expect(await t.db.apiToken.count({ where: { name: 'escalate' } })).toBe(0);
    });

    it('stop working after they expire', async () => {
      const u = await h.makeUser('operator');
      const token = await h.makeToken(u, ['devices:read']);
      await t.db.apiToken.updateMany({ where: { userId: u.id }, data: { expiresAt: new Date(Date.now() - 1) } });
      expect((await h.call('system.whoami', undefined, { token }, 'query')).status).toBe(401);
    });
  });

  describe('roles and bad input', () => {
    it('refuses a viewer any mutation, writes nothing, and audits the attempt', async () => {
      const v = await h.makeUser('viewer');
      const { cookie } = await h.signIn(v.email, v.password);
      const r = await h.call('tokens.create', { name: 'sneaky', scopes: ['devices:read'] }, { cookie }, 'mutation');
      expect(r.status).toBe(403);
      expect(await t.db.apiToken.count({ where: { name: 'sneaky' } })).toBe(0);
      const event = await t.db.auditEvent.findFirst({ where: { action: 'tokens.create', actorId: v.id } });
      expect(event?.outcome).toBe('failure');
      const users = await h.call(
        'users.create',
        { email: 'x@fleet.test', password: 'long-enough-pw', role: 'admin' },
        { cookie },
        'mutation',
      );
      expect(users.status).toBe(403);
      expect(await t.db.user.count({ where: { email: 'x@fleet.test' } })).toBe(0);
    });

    it('keeps the audit log from operators and viewers', async () => {
      const op = await h.makeUser('operator');
      const { cookie } = await h.signIn(op.email, op.password);
      expect((await h.call('audit.list', {}, { cookie }, 'query')).status).toBe(403);
    });

    it('answers malformed input with 400 and writes nothing', async () => {
      const u = await h.makeUser('admin');
      const { cookie } = await h.signIn(u.email, u.password);
      const before = await t.db.apiToken.count();
      const r = await h.call('tokens.create', { name: '', scopes: ['not:a-scope'] }, { cookie }, 'mutation');
      expect(r.status).toBe(400);
      expect(await t.db.apiToken.count()).toBe(before);
      const raw = await h.request('/api/trpc/tokens.create', {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: '{not json',
      });
      expect(raw.status).toBe(400);
    });

    it('answers an unknown procedure with 404', async () => {
      const r = await h.call('nothing.here', undefined, {}, 'query');
      expect(r.status).toBe(404);
    });

    it('answers the signed-out with 401', async () => {
      expect((await h.call('tokens.list', undefined, {}, 'query')).status).toBe(401);
    });

    it('records who did what to which target, for admins to read', async () => {
      const admin = await h.makeUser('admin');
      const { cookie } = await h.signIn(admin.email, admin.password);
      const created = await h.call(
        'users.create',
        { email: 'new-op@fleet.test', password: 'another-long-pw', role: 'operator' },
        { cookie },
        'mutation',
      );
      expect(created.status).toBe(200);
      const log = await h.call('audit.list', { action: 'users.create' }, { cookie }, 'query');
      const event = log.data.events.find((e: { targetId: string }) => e.targetId === created.data.id);
      expect(event).toMatchObject({ actorLabel: admin.email, outcome: 'success', targetType: 'user' });
      expect(JSON.stringify(event.detail)).not.toContain('another-long-pw');
    });

    it('keeps at least one admin', async () => {
      const { listUsers } = await import('@edgefleet/core/users');
      const admin = await h.makeUser('admin');
      const token = await h.makeToken(admin, ['users:write']);
      const admins = (await listUsers(t.db)).filter((u) => u.role === 'admin' && u.id !== admin.id);
      for (const a of admins) await t.db.user.update({ where: { id: a.id }, data: { role: 'operator' } });
      const r = await h.call('users.setRole', { id: admin.id, role: 'viewer' }, { token }, 'mutation');
      expect(r.status).toBe(412);
      expect(r.error?.message).toMatch(/at least one active admin/);
      for (const a of admins) await t.db.user.update({ where: { id: a.id }, data: { role: 'admin' } });
    });
  });
});
