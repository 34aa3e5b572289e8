import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '@edgefleet/db/client';
import { recordAudit } from './audit.ts';
import { createUser } from './users.ts';

export interface InitialAdminResult {
  created: boolean;
  email?: string;
  /** Where the generated password was written, when none was given. */
  passwordFile?: string;
}

/**
 * First start: with no users at all, create the first admin, either from the given
 * credentials or with a random password written to `<dataDir>/initial-admin.txt` (0600).
 */
export async function ensureInitialAdmin(
  db: Db,
  opts: { dataDir: string; email?: string | undefined; password?: string | undefined },
): Promise<InitialAdminResult> {
  if ((await db.user.count()) > 0) return { created: false };
  const email = opts.email ?? 'admin@localhost';
  const generated = !opts.password;
  const password = opts.password ?? randomBytes(18).toString('base64url');
  const user = await createUser(db, { email, password, role: 'admin', name: 'Admin' });
  await recordAudit(db, {
    actor: { kind: 'system' },
    action: 'users.bootstrapAdmin',
    target: { type: 'user', id: user.id },
    outcome: 'success',
  });
  if (!generated) return { created: true, email: user.email };
  await mkdir(opts.dataDir, { recursive: true });
  const passwordFile = join(opts.dataDir, 'initial-admin.txt');
  await writeFile(
    passwordFile,
    `EdgeFleet initial admin\nemail: ${user.email}\npassword: ${password}\n\nChange it in Settings → Users, then delete this file.\n`,
    { mode: 0o600 },
  );
  return { created: true, email: user.email, passwordFile };
}
