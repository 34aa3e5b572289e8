import type { Command } from 'commander';
import { DataDir } from '../data-dir.ts';
import { AgentError } from '../errors.ts';
import { SlotStore } from '../install/slots.ts';
import type { AgentIo } from '../io.ts';

/** Reads `<data-dir>/models/state.json` only; works whether or not `run` is active. */
export async function readModels(dataDir: DataDir) {
  const store = new SlotStore(dataDir.root);
  const state = await store.read();
  return {
    instructionVersion: state.instructionVersion,
    models: Object.entries(state.models)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([model, ms]) => ({
        model,
        serving: ms.serving
          ? { slot: ms.serving, version: ms.slots[ms.serving]?.version ?? null, since: ms.servingSince ?? null }
          : null,
        previous: ms.previous ? { slot: ms.previous, version: ms.slots[ms.previous]?.version ?? null } : null,
        slots: Object.fromEntries(
          (['a', 'b'] as const).map((slot) => {
            const c = ms.slots[slot];
            return [
              slot,
              c
                ? { version: c.version, path: c.path, sha256: c.sha256, length: c.length, installedAt: c.installedAt }
                : null,
            ];
          }),
        ),
        install: ms.install ?? null,
        healthCheckPassed: ms.switch ? ms.switch.healthy : null,
        restarts: ms.restarts,
        failed: ms.failed.map(({ version, attempt, reason }) => ({ version, attempt, reason })),
      })),
  };
}

export function registerModelsCommand(program: Command, io: AgentIo) {
  program
    .command('models')
    .description('list the installed models: which slot serves which version, the previous one, the last install')
    .requiredOption('--data-dir <dir>', 'where the agent keeps its identity and state')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { dataDir: string; json?: boolean }) => {
      const dataDir = new DataDir(opts.dataDir);
      if (!(await dataDir.exists('identity'))) {
        throw new AgentError(`${dataDir.root} holds no identity; run edgefleet-agent enroll first`);
      }
      const s = await readModels(dataDir);
      if (opts.json) return io.out(JSON.stringify(s, null, 2));
      if (s.models.length === 0) {
        return io.out(`no models installed (instruction ${s.instructionVersion || 'none yet'})`);
      }
      io.out(`instruction ${s.instructionVersion}`);
      for (const m of s.models) {
        io.out(`${m.model}:`);
        for (const slot of ['a', 'b'] as const) {
          const c = m.slots[slot];
          const role =
            m.serving?.slot === slot ? `serving since ${m.serving.since}` : m.previous?.slot === slot ? 'previous' : '';
          io.out(`  slot ${slot}: ${c ? `${c.version.padEnd(12)} ${role}`.trimEnd() : '(empty)'}`);
        }
        if (m.install) {
          const i = m.install;
          io.out(`  install: ${i.version} ${i.step} (attempt ${i.attempt})${i.reason ? `: ${i.reason}` : ''}`);
        }
        if (m.restarts) io.out(`  restarts since the switch: ${m.restarts}`);
      }
    });
}
