import { requireScope } from '@edgefleet/core/access';
import { recordAudit } from '@edgefleet/core/audit';
import { DomainError, isDomainError } from '@edgefleet/core/errors';
import type { TScope } from '@edgefleet/protocol/scopes';
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError, z } from 'zod';
import type { Context } from './context.ts';
import { TRPC_CODE } from './errors.ts';

export interface Meta {
  /** What a mutation acts on, for the audit log: `id` is read from the input, else from the output. */
  target?: string;
  /** Core writes this procedure's own audit events (richer detail); the middleware then only
   * records refusals core never saw, such as a missing scope or invalid input. */
  auditedInCore?: boolean;
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer: superjson,
    errorFormatter({ shape, error }) {
      const zod = error.cause instanceof ZodError ? z.flattenError(error.cause) : null;
      return {
        ...shape,
        // Never leak internals of unexpected errors to the caller; the server log has them.
        message: error.code === 'INTERNAL_SERVER_ERROR' ? 'Internal server error' : shape.message,
        data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, zod },
      };
    },
  });

export const router = t.router;

/** Core throws DomainError; turn it into the matching tRPC error (and so HTTP status). */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isDomainError(result.error.cause)) {
    const cause = result.error.cause;
    throw new TRPCError({ code: TRPC_CODE[cause.code], message: cause.message, cause });
  }
  return result;
});

// `url`: webhook URLs (Slack, Teams) carry their credential in the path.
const SECRET_KEYS = new Set(['password', 'token', 'secret', 'pollSecret', 'url']);
/** Audit rows record what was asked, not bulk payloads (an uploaded CSV can be megabytes). */
const MAX_AUDITED_STRING = 200;

function redact(input: unknown): Record<string, unknown> | undefined {
  if (!input || typeof input !== 'object') return undefined;
  return Object.fromEntries(
    Object.entries(input).map(([k, v]) => {
      if (SECRET_KEYS.has(k)) return [k, '[redacted]'];
      if (typeof v === 'string' && v.length > MAX_AUDITED_STRING) {
        return [k, `${v.slice(0, MAX_AUDITED_STRING)}… (${v.length} characters)`];
      }
      if (Array.isArray(v) && v.length > 20) return [k, `[${v.length} items]`];
      return [k, v];
    }),
  );
}

function targetId(input: unknown, output: unknown): string | undefined {
  const pick = (o: unknown) => (o && typeof o === 'object' && 'id' in o && typeof o.id === 'string' ? o.id : undefined);
  const nested = output && typeof output === 'object' && 'view' in output ? output.view : undefined;
  return pick(input) ?? pick(output) ?? pick(nested);
}

/** Every mutation, allowed or refused, lands in the audit log with its outcome. */
const audited = t.middleware(async ({ ctx, type, path, meta, getRawInput, next }) => {
  if (type !== 'mutation') return next();
  const result = await next();
  if (result.ok && meta?.auditedInCore) return result;
  if (!result.ok && isDomainError(result.error.cause) && result.error.cause.audited) return result;
  const input = await getRawInput().catch(() => undefined);
  const id = targetId(input, result.ok ? result.data : undefined);
  await recordAudit(ctx.db, {
    actor: ctx.principal ?? { kind: 'anonymous', label: 'anonymous' },
    action: path,
    target: meta?.target && id ? { type: meta.target, id } : null,
    outcome: result.ok ? 'success' : 'failure',
    detail: { input: redact(input), ...(result.ok ? {} : { error: result.error.message }) },
    ip: ctx.ip,
  });
  return result;
});

const base = t.procedure.use(domainErrors).use(audited);

export const publicProcedure = base;

function authenticated(ctx: Context) {
  if (ctx.principal) return ctx.principal;
  throw new DomainError(
    'UNAUTHORIZED',
    ctx.rejectedToken ? 'API token is invalid, revoked or expired' : 'Sign in or pass an API token',
  );
}

export const authedProcedure = base.use(({ ctx, next }) => next({ ctx: { ...ctx, principal: authenticated(ctx) } }));

/** A procedure that needs one scope. Authorisation lives here, never only in pages or middleware. */
export const scopedProcedure = (scope: TScope) =>
  base.use(({ ctx, next }) => {
    const principal = requireScope(authenticated(ctx), scope);
    return next({ ctx: { ...ctx, principal } });
  });
