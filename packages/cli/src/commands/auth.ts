import { hostname } from 'node:os';
import type { Command } from 'commander';
import { createApi } from '../client.ts';
import { clearStored, readStored, writeStored } from '../config-store.ts';
import { CliError, resolveContext } from '../context.ts';

async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Signs in with the password once, mints a CLI token with the user's scopes, and forgets the session. */
export function registerAuthCommands(program: Command) {
  program
    .command('login')
    .description('sign in and store an API token for this machine')
    .requiredOption('--email <email>', 'your account email')
    .option('--password <password>', 'your password (or EDGEFLEET_PASSWORD, or --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--expires <days>', 'token lifetime in days', '90')
    .action(
      async (opts: { email: string; password?: string; passwordStdin?: boolean; expires: string }, cmd: Command) => {
        const { url, out } = await resolveContext(cmd, false);
        const password = opts.passwordStdin
          ? await readPasswordFromStdin()
          : (opts.password ?? process.env.EDGEFLEET_PASSWORD);
        if (!password)
          throw new CliError('a password is needed: --password, --password-stdin or EDGEFLEET_PASSWORD', 2);
        const res = await fetch(`${url}/api/auth/sign-in/username`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: url },
          body: JSON.stringify({ username: opts.email, password }),
        });
        if (!res.ok) {
          const body = (await res.json().catch(() => ({}))) as { message?: string };
          throw new CliError(`sign-in failed: ${body.message ?? res.statusText}`);
        }
        const cookie = res.headers
          .getSetCookie()
          .map((c) => c.split(';')[0])
          .join('; ');
        const session = createApi(url, { cookie });
        const me = await session.system.whoami.query();
        const expiresInDays = Number(opts.expires);
        if (!Number.isInteger(expiresInDays) || expiresInDays < 1)
          throw new CliError('--expires must be a whole number of days', 2);
        const created = await session.tokens.create.mutate({
          name: `cli ${me.email}@${hostname()}`,
          scopes: me.scopes,
          expiresInDays,
        });
        await fetch(`${url}/api/auth/sign-out`, { method: 'POST', headers: { cookie, origin: url } }).catch(() => {});
        const file = await writeStored({ url, token: created.token, email: me.email });
        out.data({ url, email: me.email, role: me.role, tokenId: created.view.id, configFile: file }, () => {
          console.log(`Signed in to ${url} as ${me.email} (${me.role}). Token stored in ${file}`);
        });
      },
    );

  program
    .command('logout')
    .description('revoke the stored token and forget it')
    .action(async (_opts: unknown, cmd: Command) => {
      const stored = await readStored();
      if (!stored) {
        console.log('Not signed in.');
        return;
      }
      const { api } = await resolveContext(cmd, false);
      // Best effort: the token may already be revoked or the server unreachable; forget it anyway.
      const me = await api.system.whoami.query().catch(() => null);
      if (me?.tokenId) await api.tokens.revoke.mutate({ id: me.tokenId }).catch(() => {});
      await clearStored();
      console.log(`Signed out of ${stored.url}.`);
    });

  program
    .command('whoami')
    .description('show who the current credentials belong to')
    .action(async (_opts: unknown, cmd: Command) => {
      const { api, out, url } = await resolveContext(cmd);
      const me = await api.system.whoami.query();
      out.data({ url, ...me }, () => {
        console.log(`${me.email} (${me.role}) on ${url}`);
        if (me.tokenName) console.log(`token: ${me.tokenName}`);
        console.log(`scopes: ${me.scopes.join(' ')}`);
      });
    });
}
