import type { Command } from 'commander';
import { createApi } from './client.ts';
import { readStored } from './config-store.ts';
import { createOutput, type Output } from './output.ts';

export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

export const DEFAULT_URL = 'http://127.0.0.1:3000';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Resolves server and credentials: flags, then env, then what `edgefleet login` stored. */
export async function resolveContext(cmd: Command, requireToken = true) {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const stored = await readStored();
  // `||`, not `??`: an empty variable (EDGEFLEET_TOKEN= in a CI file) means unset.
  const url = (opts.url || process.env.EDGEFLEET_URL || stored?.url || DEFAULT_URL).replace(/\/$/, '');
  const token = opts.token || process.env.EDGEFLEET_TOKEN || (stored && stored.url === url ? stored.token : undefined);
  if (requireToken && !token) {
    throw new CliError('not signed in: run `edgefleet login` or pass --token / EDGEFLEET_TOKEN');
  }
  const out: Output = createOutput(Boolean(opts.json));
  return { url, token, out, api: createApi(url, { token }) };
}
