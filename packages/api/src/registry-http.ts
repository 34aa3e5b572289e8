import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { type Principal, requireScope } from '@edgefleet/core/access';
import { recordAudit } from '@edgefleet/core/audit';
import { DomainError, HTTP_STATUS, isDomainError } from '@edgefleet/core/errors';
import { createVersion, uploadArtifact } from '@edgefleet/core/registry/versions';
import { ZCreateVersionRequest } from '@edgefleet/protocol/registry';
import type { TScope } from '@edgefleet/protocol/scopes';
import { ZodError, z } from 'zod';
import { createContext, type Services } from './context.ts';
import { serveArtifact } from './registry-download.ts';

/** The signed metadata is capped at 1 MB by the protocol; the envelope adds a changelog. */
const MAX_JSON_BYTES = 2 * 1024 * 1024;
const SHA256 = /^[a-f0-9]{64}$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The registry's byte-moving endpoints, as one fetch-style handler so the Next route and the test
 * harness serve exactly the same code. Bodies stay streams end to end: an upload is never
 * buffered here (core hashes it while writing it to the store), nor is a download.
 *
 *   POST /api/registry/versions                          models:publish  register signed metadata
 *   PUT  /api/registry/versions/:id/artifacts/:sha256    models:publish  upload one artifact's bytes
 *   GET  /api/registry/artifacts/:sha256                 models:read     download (Range, ETag)
 *
 * Session cookies work too (SameSite=Lax keeps them off cross-site PUT/POST), but CI uses tokens.
 */
export async function handleRegistryRequest(req: Request, services: Services): Promise<Response> {
  const parts = new URL(req.url).pathname.replace(/\/+$/, '').split('/').slice(3); // drop '', 'api', 'registry'
  const method = req.method.toUpperCase();
  try {
    if (parts.length === 1 && parts[0] === 'versions') {
      if (method !== 'POST') return methodNotAllowed('POST');
      const who = await authorize(req, services, 'models:publish', 'registry.createVersion');
      const created = await audited(services, who, 'registry.createVersion', async () => {
        const body = ZCreateVersionRequest.parse(JSON.parse(await readText(req, MAX_JSON_BYTES)));
        const res = await createVersion({ db: services.db, store: services.artifacts }, who.actor, body);
        return { res, target: res.versionId, detail: { model: res.model, version: res.version } };
      });
      return Response.json(created, { status: 201 });
    }
    if (parts.length === 4 && parts[0] === 'versions' && parts[2] === 'artifacts') {
      if (method !== 'PUT') return methodNotAllowed('PUT');
      const [, id = '', , sha256 = ''] = parts;
      const who = await authorize(req, services, 'models:publish', 'registry.uploadArtifact');
      const result = await audited(services, who, 'registry.uploadArtifact', async () => {
        if (!ID.test(id) || !SHA256.test(sha256)) throw new DomainError('NOT_FOUND', 'No such upload');
        const deps = { db: services.db, store: services.artifacts };
        const res = await uploadArtifact(deps, who.actor, id, sha256, bodyOf(req));
        return { res, target: id, detail: { sha256, published: res.published } };
      });
      return Response.json(result);
    }
    if (parts.length === 2 && parts[0] === 'artifacts') {
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed('GET, HEAD');
      await authorize(req, services, 'models:read', null);
      const sha256 = parts[1] ?? '';
      if (!SHA256.test(sha256)) throw new DomainError('NOT_FOUND', 'No such artifact');
      return await serveArtifact(req, services, sha256);
    }
    return errorResponse(404, 'NOT_FOUND', 'No such registry endpoint');
  } catch (e) {
    return toErrorResponse(e);
  }
}

interface Caller {
  actor: Principal;
  ip: string | null;
}

/** Like the tRPC procedures: who it is, whether the scope is there; refusals land in the audit log. */
async function authorize(req: Request, services: Services, scope: TScope, action: string | null): Promise<Caller> {
  const ctx = await createContext(services, req.headers);
  try {
    if (!ctx.principal && ctx.rejectedToken) {
      throw new DomainError('UNAUTHORIZED', 'API token is invalid, revoked or expired');
    }
    return { actor: requireScope(ctx.principal, scope), ip: ctx.ip };
  } catch (e) {
    if (action && isDomainError(e)) {
      const actor = ctx.principal ?? { kind: 'anonymous' as const, label: 'anonymous' };
      await recordAudit(services.db, { actor, action, outcome: 'failure', detail: { error: e.message }, ip: ctx.ip });
      e.audited = true;
    }
    throw e;
  }
}

/** Core's registry functions leave auditing to transports: every publish step, done or refused, is recorded. */
async function audited<T>(
  services: Services,
  { actor, ip }: Caller,
  action: string,
  run: () => Promise<{ res: T; target: string; detail: Record<string, unknown> }>,
): Promise<T> {
  try {
    const { res, target, detail } = await run();
    const entry = { actor, action, target: { type: 'modelVersion', id: target }, detail, ip };
    await recordAudit(services.db, { ...entry, outcome: 'success' });
    return res;
  } catch (e) {
    const error = isDomainError(e) || e instanceof ZodError || e instanceof SyntaxError ? e.message : 'internal error';
    await recordAudit(services.db, { actor, action, outcome: 'failure', detail: { error }, ip });
    throw e;
  }
}

/** Reads a small JSON body, refusing (without reading on) anything past `limit` bytes. */
async function readText(req: Request, limit: number): Promise<string> {
  if (Number(req.headers.get('content-length') ?? 0) > limit) throw tooLarge(limit);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of bodyOf(req)) {
    total += chunk.byteLength;
    if (total > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const tooLarge = (limit: number) => new DomainError('INVALID', `Request body is larger than ${limit} bytes`);

/**
 * The request body as a Node stream, never buffered. (Next's typings use the DOM ReadableStream,
 * which does not declare async iteration; Node's does, and they are the same object at runtime.)
 */
function bodyOf(req: Request): AsyncIterable<Uint8Array> {
  if (!req.body) return Readable.from([]);
  return Readable.fromWeb(req.body as unknown as NodeReadableStream<Uint8Array>);
}

function methodNotAllowed(allow: string): Response {
  return Response.json({ error: 'METHOD_NOT_ALLOWED', message: `Use ${allow}` }, { status: 405, headers: { allow } });
}

export function errorResponse(status: number, error: string, message: string): Response {
  return Response.json({ error, message }, { status, headers: { 'cache-control': 'no-store' } });
}

function toErrorResponse(e: unknown): Response {
  if (isDomainError(e)) return errorResponse(HTTP_STATUS[e.code], e.code, e.message);
  if (e instanceof ZodError) return errorResponse(400, 'INVALID', z.prettifyError(e));
  if (e instanceof SyntaxError) return errorResponse(400, 'INVALID', `Request body is not JSON: ${e.message}`);
  // Never leak internals to the caller; the server log has them.
  console.error('[registry]', e);
  return errorResponse(500, 'INTERNAL', 'Internal server error');
}
