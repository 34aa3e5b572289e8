import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/** What `edgefleet login` remembers: the server and the API token it minted. */
const ZStored = z.object({ url: z.string(), token: z.string(), email: z.string().optional() });
export type TStored = z.infer<typeof ZStored>;

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.EDGEFLEET_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'edgefleet');
  return join(base, 'config.json');
}

export async function readStored(env: NodeJS.ProcessEnv = process.env): Promise<TStored | null> {
  try {
    return ZStored.parse(JSON.parse(await readFile(configPath(env), 'utf8')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${configPath(env)} is unreadable; delete it and run \`edgefleet login\` again`);
  }
}

/** The token is a credential: the file is created 0600 in a 0700 folder, written whole or not at all. */
export async function writeStored(value: TStored, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const file = configPath(env);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  const { rename } = await import('node:fs/promises');
  await rename(tmp, file);
  return file;
}

export async function clearStored(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await rm(configPath(env), { force: true });
}
