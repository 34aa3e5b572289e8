import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError, type GlobalOptions, resolveContext } from '../context.ts';
import { createOutput, table, when } from '../output.ts';
import { generatePublisherKey } from '../registry/publisher-key.ts';

export function registerKeyCommands(program: Command) {
  const keys = program
    .command('keys')
    .description('publisher signing keys: CI signs models, the server trusts the public half');

  keys
    .command('generate')
    .description('make an ed25519 key pair: private key (0600) at --out, public key at <out>.pub')
    .requiredOption('--out <file>', 'where to write the private key, e.g. publisher.key')
    .action(async (opts: { out: string }, cmd: Command) => {
      const out = createOutput(Boolean(cmd.optsWithGlobals<GlobalOptions>().json));
      const key = await generatePublisherKey(opts.out);
      out.data(key, () => {
        console.log(key.keyId);
        process.stderr.write(
          `Wrote ${key.privatePath} (keep it secret, e.g. a CI secret) and ${key.publicPath}.\n` +
            `Register it: edgefleet keys add --public ${key.publicPath} --name <name>\n`,
        );
      });
    });

  keys
    .command('add')
    .description('register a publisher public key (admin)')
    .requiredOption('--public <file>', 'the .pub file `keys generate` wrote')
    .requiredOption('--name <name>', 'what the key is for, e.g. ci-main')
    .action(async (opts: { public: string; name: string }, cmd: Command) => {
      const publicKey = await readFile(opts.public, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new CliError(`cannot read ${opts.public}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
      });
      const { api, out } = await resolveContext(cmd);
      const key = await api.publisherKeys.add.mutate({ name: opts.name, publicKey });
      out.data(key, () => console.log(`Registered publisher key "${key.name}" (${key.id}).`));
    });

  keys
    .command('list')
    .description('list publisher keys')
    .action(async (_opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const list = await api.publisherKeys.list.query();
      out.data(list, () => {
        if (list.length === 0) return console.log('No publisher keys yet. Create one with `edgefleet keys generate`.');
        const rows = list.map((k) => ({
          id: k.id,
          name: k.name,
          added: when(k.createdAt),
          versions: String(k.versionCount),
          status: k.revokedAt ? `revoked ${when(k.revokedAt)}` : 'active',
        }));
        console.log(table(rows, ['id', 'name', 'added', 'versions', 'status']));
      });
    });

  keys
    .command('revoke')
    .description('revoke a publisher key: it can no longer publish, and what it signed can no longer be rolled out')
    .argument('<key>', 'key id or name')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const key = await api.publisherKeys.revoke.mutate({ id });
      out.data(key, () => console.log(`Revoked publisher key "${key.name}" (${key.id}).`));
    });
}
