import type { Command } from 'commander';
import { CliError, resolveContext } from '../context.ts';
import { table, when } from '../output.ts';
import { registerPublishCommand } from './models-publish.ts';

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const shape = (s: (number | string)[]) => `[${s.join(', ')}]`;

export function registerModelCommands(program: Command) {
  const models = program.command('models').description('the model registry: publish signed versions, list, show');

  registerPublishCommand(models);

  models
    .command('list')
    .description('list models with a published version')
    .action(async (_opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const list = await api.models.list.query();
      out.data(list, () => {
        if (list.length === 0) return console.log('No models yet. Publish one with `edgefleet models publish`.');
        const rows = list.map((m) => ({
          name: m.name,
          latest: m.latestVersion,
          versions: String(m.versionCount),
          task: m.task ?? '-',
          updated: when(m.updatedAt),
        }));
        console.log(table(rows, ['name', 'latest', 'versions', 'task', 'updated']));
      });
    });

  models
    .command('show')
    .description('show a model: versions, signatures, variants and tensor signatures')
    .argument('<name>', 'model name')
    .option('--version <semver>', 'only this version')
    .action(async (name: string, opts: { version?: string }, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const model = await api.models.get.query({ name });
      const versions = opts.version ? model.versions.filter((v) => v.version === opts.version) : model.versions;
      if (opts.version && versions.length === 0) {
        throw new CliError(`${name} has no published version ${opts.version}`);
      }
      out.data({ ...model, versions }, () => {
        console.log(
          `${model.name}${model.task ? ` (${model.task})` : ''}${model.description ? `: ${model.description}` : ''}`,
        );
        for (const v of versions) {
          const key = `${v.publisherKey.name}${v.publisherKey.revoked ? ' (REVOKED)' : ''}`;
          console.log(`\n${v.version}  published ${when(v.publishedAt)}  id ${v.id}`);
          console.log(`  signature ${v.signatureVerified ? 'verified ✓' : 'NOT verified ✗'}, key ${key}`);
          if (v.changelog) console.log(`  changelog: ${v.changelog}`);
          const metrics = Object.entries(v.card.metrics ?? {}).map(([k, x]) => `${k}=${x}`);
          if (metrics.length) console.log(`  metrics: ${metrics.join(', ')}`);
          for (const a of v.artifacts) {
            console.log(`  ${a.runtime}/${a.accelerator}/${a.precision}  ${mb(a.sizeBytes)}  sha256 ${a.sha256}`);
            const rows = [
              ...a.tensors.inputs.map((t) => ({ io: 'input', name: t.name, dtype: t.dtype, shape: shape(t.shape) })),
              ...a.tensors.outputs.map((t) => ({ io: 'output', name: t.name, dtype: t.dtype, shape: shape(t.shape) })),
            ];
            if (rows.length) console.log(table(rows, ['io', 'name', 'dtype', 'shape']).replace(/^/gm, '    '));
          }
        }
      });
    });
}
