import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { createTestDatabase, type TestDatabase } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceHttpHandler } from './router.ts';

describe('device HTTP rate limits', () => {
  let t: TestDatabase;
  let pki: FleetPki;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    pki = await loadOrCreateFleetPki(t.db, { secret: 's'.repeat(40), publicHost: 'localhost' });
    const handler = createDeviceHttpHandler({
      db: t.db,
      pki,
      rateRules: { '/v1/enroll/poll': { limit: 2, windowMs: 60_000 } },
    });
    server = createServer(handler);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await t?.close();
  });

  it('refuses an address past its limit with 429 and Retry-After, before reading the body', async () => {
    const poll = () =>
      fetch(`${base}/v1/enroll/poll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ v: 1, deviceId: 'dev_x', pollSecret: 'nope' }),
      });
    const first = await poll();
    const second = await poll();
    expect([first.status, second.status]).toEqual([401, 401]);
    const third = await poll();
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await third.json()).toMatchObject({ error: 'rate_limited' });
    // Other routes keep their own (default) limits.
    expect((await fetch(`${base}/v1/ca`)).status).toBe(200);
  });
});
