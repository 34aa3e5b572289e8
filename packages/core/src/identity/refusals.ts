import type { Db } from '@edgefleet/db/client';
import type { z } from 'zod';
import { type AuditActor, recordAudit } from '../audit.ts';
import { DomainError, isDomainError } from '../errors.ts';

export function parseOrInvalid<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  throw new DomainError('INVALID', `${path}${issue?.message ?? 'invalid request'}`);
}

/**
 * Runs a device-facing operation and writes every refusal to the audit log before rethrowing,
 * so an attack leaves a trace even though it changes nothing else.
 */
export async function auditRefusals<T>(
  db: Db,
  entry: { actor: AuditActor; action: string; ip: string | null; detail?: Record<string, unknown> },
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isDomainError(error)) {
      await recordAudit(db, {
        actor: entry.actor,
        action: entry.action,
        outcome: 'failure',
        target: typeof error.details?.deviceId === 'string' ? { type: 'device', id: error.details.deviceId } : null,
        detail: { ...entry.detail, ...error.details, code: error.code, error: error.message },
        ip: entry.ip,
      });
      error.audited = true;
    }
    throw error;
  }
}
