import type { Command } from 'commander';
import { CliError, resolveContext } from '../context.ts';
import { table, when } from '../output.ts';

export function registerPinCommands(program: Command) {
  const pins = program
    .command('pins')
    .description('hold a device, or every device of a group, on one version of a model; rollouts skip them');

  pins
    .command('set')
    .description('pin a device or a group to a version: held devices move to it at once')
    .requiredOption('--model <name>', 'model name')
    .requiredOption('--version <semver>', 'published version to hold them on')
    .option('--device <id>', 'the device to pin')
    .option('--group <group>', "the group to pin (a device's own pin wins over its group's)")
    .option('--reason <text>', 'why, shown wherever the pin is')
    .action(
      async (
        opts: { model: string; version: string; device?: string; group?: string; reason?: string },
        cmd: Command,
      ) => {
        if ((opts.device === undefined) === (opts.group === undefined)) {
          throw new CliError('pin exactly one of --device ID or --group NAME', 2);
        }
        const { api, out } = await resolveContext(cmd);
        const r = await api.pins.set.mutate({
          model: opts.model,
          version: opts.version,
          ...(opts.device ? { deviceId: opts.device } : { group: opts.group }),
          ...(opts.reason ? { reason: opts.reason } : {}),
        });
        out.data(r, () => {
          const who = r.pin.deviceId ? `device ${r.pin.deviceName ?? r.pin.deviceId}` : `group "${r.pin.group}"`;
          console.log(
            `Pinned ${who} to ${r.pin.model} ${r.pin.version} (${r.pin.id}): holds ${r.devices} device(s), ${r.updated} moved.`,
          );
          if (r.skippedInRollouts) console.log(`${r.skippedInRollouts} device(s) taken out of an active rollout.`);
          if (r.noVariant)
            console.log(
              `${r.noVariant} device(s) have no artifact of ${r.pin.version} for their hardware: left as they are.`,
            );
        });
      },
    );

  pins
    .command('list')
    .description('list pins, newest first')
    .option('--model <name>', 'only pins of this model')
    .option('--device <id>', "only pins that hold this device (its own and its groups')")
    .action(async (opts: { model?: string; device?: string }, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const list = await api.pins.list.query({
        ...(opts.model ? { model: opts.model } : {}),
        ...(opts.device ? { deviceId: opts.device } : {}),
      });
      out.data(list, () => {
        if (list.length === 0) return console.log('No pins.');
        const rows = list.map((p) => ({
          id: p.id,
          model: `${p.model} ${p.version}`,
          holds: p.deviceId ? `device ${p.deviceName ?? p.deviceId}` : `group ${p.group ?? '?'}`,
          reason: p.reason || '-',
          created: when(p.createdAt),
        }));
        console.log(table(rows, ['id', 'model', 'holds', 'reason', 'created']));
      });
    });

  pins
    .command('rm')
    .alias('remove')
    .description('remove a pin; its devices stay on the version until a rollout moves them')
    .argument('<id>', 'pin id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const p = await api.pins.remove.mutate({ id });
      out.data(p, () => console.log(`Removed pin ${p.id} (${p.model} ${p.version}).`));
    });
}
