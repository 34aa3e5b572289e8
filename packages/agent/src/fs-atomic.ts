import { readFile } from 'node:fs/promises';
import { fsyncDir, writeFileAtomic } from '@edgefleet/config/fs-atomic';
import type { z } from 'zod';
import { AgentError } from './errors.ts';

// The durable write itself is shared with the gateway (its broker CRL file).
export { fsyncDir, writeFileAtomic };

export const writeJsonAtomic = (path: string, value: unknown, mode?: number) =>
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, mode);

export async function readTextOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Reads and validates a JSON state file; null when absent, a clear error when corrupt. */
export async function readJsonFile<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S> | null> {
  const text = await readTextOrNull(path);
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentError(`${path} is corrupt (not JSON); restore it or enroll again into an empty --data-dir`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new AgentError(`${path} is corrupt${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
