import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scopesForRole } from '@edgefleet/core/access';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { createLocalArtifactStore } from '@edgefleet/core/registry/artifact-store';
import { createApiToken } from '@edgefleet/core/tokens';
import { createUser } from '@edgefleet/core/users';
import type { Db } from '@edgefleet/db/client';
import type { TRole, TScope } from '@edgefleet/protocol/scopes';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { CLIENT_IP_HEADER, createAuth } from '../auth.ts';
import { createContext, type Services } from '../context.ts';
import { handleRegistryRequest } from '../registry-http.ts';
import { appRouter } from '../root.ts';

export const BASE = 'http://localhost:3000';

/** The fleet PKI for a test database (created on first call, then loaded from the database). */
export function createTestPki(db: Db): Promise<FleetPki> {
  return loadOrCreateFleetPki(db, { secret: 's'.repeat(40), publicHost: 'localhost' });
}

/**
 * The API exactly as the web app serves it (better-auth handler + tRPC fetch handler), without
 * Next.js in between, so tests can speak HTTP to it in-process against a real database.
 */
export function createApiHarness(db: Db, pki: FleetPki) {
  const auth = createAuth({ db, secret: 's'.repeat(40), baseURL: BASE });
  const services: Services = {
    db,
    auth,
    pki,
    // A fresh store per harness, so one test file's blobs never satisfy another's uploads.
    artifacts: createLocalArtifactStore(mkdtempSync(join(tmpdir(), 'ef-artifacts-'))),
    secret: 's'.repeat(40),
    publicUrl: BASE,
    info: { version: 'test', database: 'embedded', devicePort: 8443, mqttPort: 8883 },
  };

  async function request(path: string, init: RequestInit & { ip?: string } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set(CLIENT_IP_HEADER, init.ip ?? '203.0.113.7');
    if (!headers.has('origin')) headers.set('origin', BASE);
    // A streamed body (an artifact upload) needs half-duplex, as in any fetch.
    const req = new Request(`${BASE}${path}`, { ...init, headers, ...(init.body ? { duplex: 'half' } : {}) });
    if (path.startsWith('/api/auth/')) return auth.handler(req);
    if (path.startsWith('/api/registry/')) return handleRegistryRequest(req, services);
    return fetchRequestHandler({
      endpoint: '/api/trpc',
      req,
      router: appRouter,
      createContext: () => createContext(services, req.headers),
    });
  }

  async function signIn(email: string, password: string, ip?: string) {
    const res = await request('/api/auth/sign-in/username', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: email, password }),
      ...(ip ? { ip } : {}),
    });
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    return { res, cookie };
  }

  /** Calls a tRPC procedure the way @trpc/client does (superjson wire format, no batching). */
  async function call(
    path: string,
    input: unknown,
    auth: { cookie?: string; token?: string },
    type: 'query' | 'mutation',
  ) {
    const headers: Record<string, string> = {};
    if (auth.cookie) headers.cookie = auth.cookie;
    if (auth.token) headers.authorization = `Bearer ${auth.token}`;
    const res =
      type === 'query'
        ? await request(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { headers })
        : await request(`/api/trpc/${path}`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: JSON.stringify({ json: input }),
          });
    const body = (await res.json()) as { result?: { data: { json: unknown } }; error?: { json: { message: string } } };
    // biome-ignore lint/suspicious/noExplicitAny: tests read the shapes they assert on
    return { status: res.status, data: body.result?.data.json as any, error: body.error?.json };
  }

  async function makeUser(role: TRole, password = 'correct-horse-battery') {
    const email = `${role}-${Math.random().toString(36).slice(2, 8)}@fleet.test`;
    const user = await createUser(db, { email, password, role });
    return { ...user, password };
  }

  async function makeToken(user: { id: string; email: string; role: TRole }, scopes: TScope[]) {
    const principal = {
      kind: 'user' as const,
      userId: user.id,
      email: user.email,
      role: user.role,
      scopes: scopesForRole(user.role),
      sessionId: 'test',
    };
    return (await createApiToken(db, principal, { name: `t-${Math.random().toString(36).slice(2, 6)}`, scopes })).token;
  }

  return { request, signIn, call, makeUser, makeToken, auth, pki, artifacts: services.artifacts };
}
