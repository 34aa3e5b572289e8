import { Writable } from 'node:stream';
import type { Principal } from '@edgefleet/core/access';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { createWebLogger } from './log.ts';
import { createWebMetrics } from './metrics.ts';
import { observeRoute, observeTrpcRequest, principalLabel, procedureLabels, requestIdFrom } from './observe.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createWebLogger({ level: 'debug', destination }) };
}

const KNOWN = new Set(['devices.list', 'devices.get', 'system.health']);
const user: Principal = {
  kind: 'user',
  userId: 'u_1',
  email: 'op@example.test',
  role: 'admin',
  scopes: [],
  sessionId: 'session-secret-id',
};

describe('request ids', () => {
  it("keeps a caller's sane id and replaces anything else", () => {
    expect(requestIdFrom('abc-123_x.y:z')).toBe('abc-123_x.y:z');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const bad of [null, '', 'has space', 'quote"d', 'x'.repeat(129), 'new\\nline']) {
      expect(requestIdFrom(bad)).toMatch(uuid);
    }
    expect(requestIdFrom(null)).not.toBe(requestIdFrom(null));
  });

  it('labels principals by id only, and unknown procedure names as "unknown"', () => {
    expect(principalLabel(user)).toBe('user:u_1');
    expect(principalLabel(null)).toBeNull();
    expect(procedureLabels('http://h/api/trpc/devices.list,devices.get?batch=1', KNOWN)).toEqual([
      'devices.list',
      'devices.get',
    ]);
    expect(procedureLabels('http://h/api/trpc/devices.list,evil%20name,%E0%A4%A', KNOWN)).toEqual([
      'devices.list',
      'unknown',
      'unknown',
    ]);
  });
});

describe('observeTrpcRequest', () => {
  it('echoes the request id, logs one line with procedures, status and principal, and counts each procedure', async () => {
    const { lines, logger } = capture();
    const metrics = createWebMetrics({ defaultMetrics: false });
    const req = new Request('http://h/api/trpc/devices.list,devices.get?batch=1', {
      headers: { 'x-request-id': 'req-7', authorization: 'Bearer ef_secret_token', cookie: 'session=abc' },
    });
    const res = await observeTrpcRequest(
      req,
      KNOWN,
      async (call) => {
        expect(call.requestId).toBe('req-7');
        call.setPrincipal(user);
        call.failed('devices.get', new TRPCError({ code: 'NOT_FOUND', message: 'no such device' }));
        call.failed('devices.list', new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: new Error('db down') }));
        return new Response('[]', { status: 207 });
      },
      { metrics, logger },
    );
    expect(res.headers.get('x-request-id')).toBe('req-7');
    const failure = lines.find((l) => l.msg === 'trpc procedure failed');
    expect(failure).toMatchObject({ requestId: 'req-7', procedure: 'devices.list', level: 'error', service: 'web' });
    const line = lines.find((l) => l.msg === 'trpc request');
    expect(line).toMatchObject({
      requestId: 'req-7',
      method: 'GET',
      procedures: ['devices.list', 'devices.get'],
      status: 207,
      principal: 'user:u_1',
      errors: [
        { procedure: 'devices.get', code: 'NOT_FOUND' },
        { procedure: 'devices.list', code: 'INTERNAL_SERVER_ERROR' },
      ],
    });
    expect(line?.durationMs).toEqual(expect.any(Number));
    const all = JSON.stringify(lines);
    for (const secret of ['ef_secret_token', 'session=abc', 'session-secret-id', 'op@example.test']) {
      expect(all).not.toContain(secret);
    }
    const text = await metrics.registry.metrics();
    expect(text).toContain('edgefleet_web_trpc_requests_total{procedure="devices.list",status="500"} 1');
    expect(text).toContain('edgefleet_web_trpc_requests_total{procedure="devices.get",status="404"} 1');
  });

  it('assigns an id when none (or a bad one) is sent, and counts a refusal for every procedure', async () => {
    const { lines, logger } = capture();
    const metrics = createWebMetrics({ defaultMetrics: false });
    const req = new Request('http://h/api/trpc/system.health', { method: 'POST', headers: { 'x-request-id': 'a b' } });
    const res = await observeTrpcRequest(req, KNOWN, async () => Response.json({}, { status: 403 }), {
      metrics,
      logger,
    });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.find((l) => l.msg === 'trpc request')).toMatchObject({ requestId: id, status: 403, principal: null });
    expect(await metrics.registry.metrics()).toContain(
      'edgefleet_web_trpc_requests_total{procedure="system.health",status="403"} 1',
    );
  });
});

describe('observeRoute', () => {
  it('counts and logs route handler requests, and turns a throw into a logged 500', async () => {
    const { lines, logger } = capture();
    const metrics = createWebMetrics({ defaultMetrics: false });
    const ok = observeRoute('registry', async () => new Response(null, { status: 201 }), { metrics, logger });
    const boom = observeRoute(
      'registry',
      async () => {
        throw new Error('disk full');
      },
      { metrics, logger },
    );
    const put = (id?: string) =>
      new Request('http://h/api/registry/v1/x', { method: 'PUT', headers: id ? { 'x-request-id': id } : {} });
    expect((await ok(put('up-1'))).headers.get('x-request-id')).toBe('up-1');
    const failed = await boom(put('up-2'));
    expect(failed.status).toBe(500);
    expect(failed.headers.get('x-request-id')).toBe('up-2');
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'request', requestId: 'up-1', route: 'registry', status: 201 }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request failed', requestId: 'up-2', level: 'error' }));
    const text = await metrics.registry.metrics();
    expect(text).toContain('edgefleet_web_http_requests_total{route="registry",method="PUT",status="201"} 1');
    expect(text).toContain('edgefleet_web_http_requests_total{route="registry",method="PUT",status="500"} 1');
  });
});
