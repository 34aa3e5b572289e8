import { randomUUID } from 'node:crypto';
import { recordAudit } from '@edgefleet/core/audit';
import { isDomainError } from '@edgefleet/core/errors';
import { assertSignInAllowed, recordSignInResult } from '@edgefleet/core/sign-in-throttle';
import type { Db } from '@edgefleet/db/client';
import { betterAuth } from 'better-auth';
import { prismaAdapter } from 'better-auth/adapters/prisma';
import { APIError, createAuthMiddleware, isAPIError } from 'better-auth/api';
import { username } from 'better-auth/plugins';

/** Set by the web server from the socket's address; clients cannot forge it (the server overwrites it). */
export const CLIENT_IP_HEADER = 'x-edgefleet-client-ip';

export interface AuthOptions {
  db: Db;
  secret: string;
  baseURL: string;
  trustedOrigins?: string[];
}

/** Both sign-in routes; the dashboard and CLI use /sign-in/username with the email as username. */
const SIGN_IN_PATHS = new Set(['/sign-in/email', '/sign-in/username']);
const LOOSE_EMAIL = /^[^\s@]+@[^\s@]+$/;

function signInName(body: unknown): string {
  const b = (body ?? {}) as { email?: unknown; username?: unknown };
  return String(b.username ?? b.email ?? '')
    .trim()
    .toLowerCase();
}

function clientIp(headers: Headers | undefined): string | null {
  return headers?.get(CLIENT_IP_HEADER) ?? null;
}

/**
 * Operator sign-in and server-side sessions via better-auth. Sign-up is closed: admins create
 * accounts (core/users). Our hooks add the per-account and per-address throttle, refuse
 * disabled users and write sign-ins to the audit log.
 */
export function createAuth({ db, secret, baseURL, trustedOrigins = [] }: AuthOptions) {
  return betterAuth({
    appName: 'EdgeFleet',
    baseURL,
    basePath: '/api/auth',
    secret,
    trustedOrigins: [baseURL, ...trustedOrigins],
    database: prismaAdapter(db, { provider: 'postgresql' }),
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 10 },
    // Usernames are emails, including local ones such as admin@localhost.
    plugins: [
      username({
        displayUsername: false,
        maxUsernameLength: 254,
        usernameValidator: (name) => LOOSE_EMAIL.test(name),
      }),
    ],
    user: {
      additionalFields: {
        role: { type: 'string', input: false },
        disabled: { type: 'boolean', input: false },
      },
    },
    session: { expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
    // Coarse per-address request limits; password guessing is handled by the failure-based
    // throttle in the hooks below, which is stricter and also works per account.
    rateLimit: {
      enabled: true,
      storage: 'database',
      window: 60,
      max: 300,
      customRules: {
        '/sign-in/email': { window: 60, max: 30 },
        '/sign-in/username': { window: 60, max: 30 },
      },
    },
    advanced: {
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
      useSecureCookies: baseURL.startsWith('https://'),
      defaultCookieAttributes: { httpOnly: true, sameSite: 'lax' },
      database: { generateId: () => randomUUID() },
    },
    telemetry: { enabled: false },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (!SIGN_IN_PATHS.has(ctx.path)) return;
        const email = signInName(ctx.body);
        try {
          await assertSignInAllowed(db, { email, ip: clientIp(ctx.headers) });
        } catch (e) {
          if (isDomainError(e)) throw new APIError('TOO_MANY_REQUESTS', { message: e.message });
          throw e;
        }
        const user = await db.user.findUnique({ where: { email }, select: { disabled: true } });
        if (user?.disabled) throw new APIError('FORBIDDEN', { message: 'This account is disabled' });
      }),
      after: createAuthMiddleware(async (ctx) => {
        if (!SIGN_IN_PATHS.has(ctx.path)) return;
        const email = signInName(ctx.body);
        const ok = !isAPIError(ctx.context.returned);
        const ip = clientIp(ctx.headers);
        await recordSignInResult(db, { email, ip, ok });
        const session = ctx.context.newSession;
        await recordAudit(db, {
          actor: session
            ? { kind: 'anonymous', label: session.user.email }
            : { kind: 'anonymous', label: email || 'unknown' },
          action: 'auth.signIn',
          target: session ? { type: 'user', id: session.user.id } : null,
          outcome: ok ? 'success' : 'failure',
          ip,
        });
      }),
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;
