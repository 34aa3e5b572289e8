import { randomBytes } from 'node:crypto';
import { makePublisherKey, signVersionForTest, targetFor } from '@edgefleet/core/registry/testing';
import { createTestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { parseRange } from '@edgefleet/protocol/http-range';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, createTestPki } from './test/harness.ts';

const kinds = await testDatabaseKinds();

describe('parseRange', () => {
  it.each([
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=50-500', 100, { start: 50, end: 99 }],
    ['bytes=100-', 100, 'unsatisfiable'],
    ['bytes=0-1,5-6', 100, null],
    ['items=0-1', 100, null],
    [null, 100, null],
  ] as const)('%s of %i bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});

describe.each(kinds)('registry over HTTP on %s', (kind) => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let h: ReturnType<typeof createApiHarness>;
  let adminCookie: string;
  let publishToken: string;
  let readToken: string;
  const publisher = makePublisherKey();

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    h = createApiHarness(t.db, await createTestPki(t.db));
    const admin = await h.makeUser('admin');
    adminCookie = (await h.signIn(admin.email, admin.password)).cookie;
    publishToken = await h.makeToken(admin, ['models:publish']);
    readToken = await h.makeToken(admin, ['models:read']);
    const added = await h.call(
      'publisherKeys.add',
      { name: 'ci-main', publicKey: JSON.stringify(publisher.publicKey) },
      { cookie: adminCookie },
      'mutation',
    );
    expect(added.status).toBe(200);
    expect(added.data.id).toBe(publisher.keyId);
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (token: string, signedMetadata: string) =>
    h.request('/api/registry/versions', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ signedMetadata, changelog: 'first' }),
    });
  /** The body as a stream of small chunks, the way a real upload arrives. */
  const streamOf = (bytes: Uint8Array) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 1000) c.enqueue(bytes.subarray(i, i + 1000));
        c.close();
      },
    });
  const put = (token: string, url: string, bytes: Uint8Array) =>
    h.request(url, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: streamOf(bytes) });
  const get = (sha256: string, headers: Record<string, string> = {}) =>
    h.request(`/api/registry/artifacts/${sha256}`, { headers: { authorization: `Bearer ${readToken}`, ...headers } });

  it('publishes a signed version by streaming its artifact, then serves it with Range and ETag', async () => {
    const bytes = randomBytes(10_000);
    const target = targetFor(bytes, { model: 'http-detector', version: '1.0.0' });
    const res = await post(publishToken, signVersionForTest(publisher, [target]));
    expect(res.status).toBe(201);
    const created = (await res.json()) as { versionId: string; uploads: { sha256: string; uploadUrl: string }[] };
    expect(created.uploads).toEqual([expect.objectContaining({ sha256: target.sha256, length: 10_000 })]);
    const [upload] = created.uploads;

    // Invisible until every artifact is in.
    expect((await get(target.sha256)).status).toBe(404);
    const list = await h.call('models.list', undefined, { token: readToken }, 'query');
    expect(list.data.map((m: { name: string }) => m.name)).not.toContain('http-detector');

    const up = await put(publishToken, upload?.uploadUrl ?? '', bytes);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ published: true });

    const whole = await get(target.sha256);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('etag')).toBe(`"${target.sha256}"`);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);

    const part = await get(target.sha256, { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/10000');
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);

    const resumed = await get(target.sha256, { range: 'bytes=9000-', 'if-range': `"${target.sha256}"` });
    expect(resumed.status).toBe(206);
    expect((await resumed.arrayBuffer()).byteLength).toBe(1000);
    expect((await get(target.sha256, { range: 'bytes=0-9', 'if-range': '"other"' })).status).toBe(200);
    expect((await get(target.sha256, { range: 'bytes=20000-' })).status).toBe(416);
    expect((await get(target.sha256, { 'if-none-match': `"${target.sha256}"` })).status).toBe(304);

    const model = await h.call('models.get', { name: 'http-detector' }, { token: readToken }, 'query');
    expect(model.status).toBe(200);
    expect(model.data.versions[0]).toMatchObject({
      version: '1.0.0',
      signatureVerified: true,
      changelog: 'first',
      publisherKey: { name: 'ci-main', revoked: false },
    });
    const audit = await t.db.auditEvent.findMany({ where: { targetId: created.versionId }, orderBy: { at: 'asc' } });
    expect(audit.map((e) => [e.action, e.outcome])).toEqual([
      ['registry.createVersion', 'success'],
      ['registry.uploadArtifact', 'success'],
    ]);
  });

  it('refuses a token without models:publish with 403, writes nothing, and audits the attempt', async () => {
    const bytes = randomBytes(100);
    const signed = signVersionForTest(publisher, [targetFor(bytes, { model: 'no-scope', version: '1.0.0' })]);
    const res = await post(readToken, signed);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'FORBIDDEN', message: 'Missing scope models:publish' });
    expect(await t.db.model.count({ where: { name: 'no-scope' } })).toBe(0);
    const event = await t.db.auditEvent.findFirst({ where: { action: 'registry.createVersion', outcome: 'failure' } });
    expect(event?.detail).toMatchObject({ error: 'Missing scope models:publish' });
  });

  it('lets a models:publish token publish and nothing else', async () => {
    expect((await h.call('models.list', undefined, { token: publishToken }, 'query')).status).toBe(403);
    expect((await get('a'.repeat(64), { authorization: `Bearer ${publishToken}` })).status).toBe(403);
  });

  it('answers the signed-out with 401 and a bad token with a clear message', async () => {
    const anon = await h.request('/api/registry/versions', { method: 'POST', body: '{}' });
    expect(anon.status).toBe(401);
    const bad = await post('eft_not-a-token', '{}');
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { message: string }).message).toMatch(/invalid, revoked or expired/);
  });

  it('refuses bytes that differ from the signed hash: 400, nothing stored, version stays invisible', async () => {
    const bytes = randomBytes(5000);
    const target = targetFor(bytes, { model: 'tampered', version: '1.0.0' });
    const created = (await (await post(publishToken, signVersionForTest(publisher, [target]))).json()) as {
      versionId: string;
      uploads: { uploadUrl: string }[];
    };
    const other = Buffer.from(bytes);
    other[42] = (other[42] ?? 0) ^ 0xff;
    const res = await put(publishToken, created.uploads[0]?.uploadUrl ?? '', other);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/hash/);
    expect(await h.artifacts.has(target.sha256)).toBe(false);
    const version = await t.db.modelVersion.findUniqueOrThrow({ where: { id: created.versionId } });
    expect(version.status).toBe('uploading');
    expect((await get(target.sha256)).status).toBe(404);
  });

  it('refuses malformed requests clearly', async () => {
    const notJson = await h.request('/api/registry/versions', {
      method: 'POST',
      headers: { authorization: `Bearer ${publishToken}` },
      body: '{nope',
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toBe('INVALID');
    const unsigned = await post(publishToken, JSON.stringify({ signed: {}, signatures: [] }));
    expect(unsigned.status).toBe(400);
    const wrongMethod = await h.request('/api/registry/versions', {
      headers: { authorization: `Bearer ${publishToken}` },
    });
    expect(wrongMethod.status).toBe(405);
    expect((await h.request('/api/registry/nothing')).status).toBe(404);
    expect((await get('../../etc/passwd')).status).toBe(404);
  });

  it('lets only admins manage publisher keys', async () => {
    const op = await h.makeUser('operator');
    const { cookie } = await h.signIn(op.email, op.password);
    const other = makePublisherKey();
    const add = await h.call(
      'publisherKeys.add',
      { name: 'sneaky', publicKey: other.publicKey },
      { cookie },
      'mutation',
    );
    expect(add.status).toBe(403);
    const list = await h.call('publisherKeys.list', undefined, { cookie }, 'query');
    expect(list.data.map((k: { name: string }) => k.name)).toEqual(['ci-main']);
    const added = await h.call(
      'publisherKeys.add',
      { name: 'rotated', publicKey: other.publicKey },
      { cookie: adminCookie },
      'mutation',
    );
    expect(added.status).toBe(200);
    const revoked = await h.call('publisherKeys.revoke', { id: 'rotated' }, { cookie: adminCookie }, 'mutation');
    expect(revoked.data).toMatchObject({ name: 'rotated', revoked: true });
    const event = await t.db.auditEvent.findFirst({ where: { action: 'publisherKeys.revoke' } });
    expect(event?.outcome).toBe('success');
  });
});
