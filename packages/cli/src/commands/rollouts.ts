import { ROLLOUT_STATUSES } from '@edgefleet/protocol/rollout';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { resolveContext } from '../context.ts';
import { table, when } from '../output.ts';
import { collect, collectTag, parseDurationSeconds, parsePositiveInt } from './parse.ts';
import {
  type CreateOptions,
  createInput,
  parseCount,
  parseDays,
  parseExponential,
  parsePercent,
  parsePhases,
  parseShadow,
  parseWindow,
} from './rollout-options.ts';
import { FINISHED, printStatus, progressBar, type Status, summaryLine, tally, waitForRollout } from './rollout-view.ts';

function collectStatus(value: string, previous: Status[] = []): Status[] {
  const out = [...previous];
  for (const s of value.split(',').map((v) => v.trim())) {
    if (!ROLLOUT_STATUSES.includes(s as Status)) {
      throw new InvalidArgumentError(`unknown status "${s}"; one of: ${ROLLOUT_STATUSES.join(', ')}`);
    }
    out.push(s as Status);
  }
  return out;
}

interface WaitOptions {
  wait?: boolean;
  waitTimeout?: number;
  interval: number;
}

export function registerRolloutCommands(program: Command) {
  const rollouts = program
    .command('rollouts')
    .description('roll a model version out to devices in phases, with health gates; watch, pause, roll back');

  rollouts
    .command('create')
    .description('start a rollout of a published model version')
    .requiredOption('--model <name>', 'model name')
    .requiredOption('--version <semver>', 'published version to roll out')
    .option('--group <group>', 'devices of this group')
    .option('--tag <key=value>', 'devices with this tag (repeatable: all must match)', collectTag)
    .option('--device <id>', 'this device (repeatable or comma-separated)', collect)
    .option('--all', 'every accepted device')
    .option(
      '--phases <list>',
      'cumulative phases, comma-separated: a percentage of the devices (10 or 10%) or a count with # (5#), e.g. 5#,25,100',
      parsePhases,
    )
    .option(
      '--exponential <STARTxFACTOR>',
      'instead of phases: START devices the first minute, × FACTOR each minute (e.g. 5x2)',
      parseExponential,
    )
    .option(
      '--soak <duration>',
      'wait after each phase before the next (e.g. 10m); needs --phases',
      parseDurationSeconds,
    )
    .option(
      '--max-failure <percent>',
      'failed share of finished devices that trips the gate (default 5%)',
      parsePercent,
    )
    .option('--min-successes <n>', 'successes needed in a phase before the next starts', parseCount)
    .option('--max-error-rate <percent>', 'inference error rate of the new version that trips the gate', parsePercent)
    .option(
      '--max-p95-regression <percent>',
      'p95 latency worse than the previous version by more than this trips the gate',
      parsePercent,
    )
    .option('--max-restarts <n>', 'agent restarts after the switch, over all devices, that trip the gate', parseCount)
    .addOption(
      new Option('--on-failure <policy>', 'what a tripped gate does (default pause)').choices(['pause', 'rollback']),
    )
    .option('--max-concurrent <n>', 'devices installing at once, at most', parsePositiveInt)
    .option(
      '--window <HH:MM-HH:MM>',
      'UTC maintenance window in which devices may start (e.g. 22:00-04:00)',
      parseWindow,
    )
    .option('--window-days <days>', 'days the window opens, UTC (e.g. mon-fri or sat,sun)', parseDays)
    .option(
      '--shadow <SHARE:DURATION>',
      'first run the version in shadow on a cohort (10%:30m or 5#:1h): its answers are compared, never served',
      parseShadow,
    )
    .option('--shadow-sample <percent>', 'share of live requests mirrored to the shadow (default 100%)', parsePercent)
    .option(
      '--min-agreement <percent>',
      'shadow agreement with the serving version needed to go on (needs --shadow)',
      parsePercent,
    )
    .option(
      '--timeout <duration>',
      'a device stuck in one step this long counts as failed (default 15m)',
      parseDurationSeconds,
    )
    .option('--retries <n>', 'installs a device retries after a transient failure (default 2)', parseCount)
    .option(
      '--health-check <duration>',
      'how long the new version must serve before a device reports success (default 10s)',
      parseDurationSeconds,
    )
    .option('--force', 'install even while an application on the device holds an update lock')
    .option('--wait', 'wait until the rollout ends; exit 0 only if it completed')
    .option(
      '--wait-timeout <duration>',
      'with --wait: give up waiting after this long (the rollout goes on)',
      parseDurationSeconds,
    )
    .option('--interval <seconds>', 'with --wait: seconds between status checks', parsePositiveInt, 2)
    .addHelpText(
      'after',
      `
Choose the devices with exactly one of --group, --tag, --device or --all.
Durations: 90s, 10m, 2h, 1d. Percentages: 5 or 5%.

Examples:
  edgefleet rollouts create --model detector --version 1.3.0 --group lab --phases 10,50,100 --soak 10m
  edgefleet rollouts create --model detector --version 1.3.0 --tag site=berlin --phases 5#,100 \\
      --max-failure 2% --on-failure rollback --window 22:00-04:00 --wait
  edgefleet rollouts create --model detector --version 1.3.0 --all --shadow 10%:30m --min-agreement 98%`,
    )
    .action(async (opts: CreateOptions & WaitOptions, cmd: Command) => {
      const input = createInput(opts);
      const { api, out } = await resolveContext(cmd);
      const created = await api.rollouts.create.mutate(input);
      const skipped = created.skipped ? ` (${created.skipped} pinned device(s) skipped)` : '';
      if (!opts.wait) {
        return out.data(created, () => {
          console.log(
            `Started rollout ${created.id}: ${input.model} ${input.version} to ${created.deviceCount} device(s)${skipped}.`,
          );
          console.log(`Follow it with \`edgefleet rollouts status ${created.id}\`.`);
        });
      }
      out.info(
        `Started rollout ${created.id}: ${input.model} ${input.version} to ${created.deviceCount} device(s)${skipped}.`,
      );
      const done = await waitForRollout(api, out, created.id, {
        intervalMs: opts.interval * 1000,
        timeoutMs: waitMs(opts),
      });
      out.data(done, () => console.log(`Rollout ${done.id} completed: ${summaryLine(done.counts)}.`));
    });

  rollouts
    .command('list')
    .description('list rollouts, newest first')
    .option(
      '--status <status>',
      `only these (repeatable or comma-separated): ${ROLLOUT_STATUSES.join(', ')}`,
      collectStatus,
    )
    .option('--model <name>', 'only rollouts of this model')
    .option('--limit <n>', 'at most this many (max 200)', parsePositiveInt, 50)
    .option('--cursor <cursor>', 'continue after a previous page (printed when there is more)')
    .action(async (opts: { status?: Status[]; model?: string; limit: number; cursor?: string }, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const page = await api.rollouts.list.query({
        ...(opts.status ? { status: opts.status } : {}),
        ...(opts.model ? { model: opts.model } : {}),
        limit: Math.min(opts.limit, 200),
        cursor: opts.cursor ?? null,
      });
      out.data(page, () => {
        if (page.items.length === 0) return console.log('No rollouts match.');
        const rows = page.items.map((r) => {
          const t = tally(r.counts);
          return {
            id: r.id,
            model: `${r.model} ${r.version}`,
            status: r.status,
            phase: FINISHED.includes(r.status)
              ? '-'
              : r.currentPhase < 0
                ? 'shadow'
                : `${r.currentPhase + 1}/${r.phaseCount}`,
            progress: `${progressBar(t.succeeded, t.total, 10)} ${t.succeeded}/${t.total}${t.failed ? `, ${t.failed} failed` : ''}`,
            created: when(r.createdAt),
          };
        });
        console.log(table(rows, ['id', 'model', 'status', 'phase', 'progress', 'created']));
        if (page.nextCursor) process.stderr.write(`more: --cursor ${page.nextCursor}\n`);
      });
    });

  rollouts
    .command('status')
    .description('show a rollout: phases with progress, gates, recent events')
    .argument('<id>', 'rollout id')
    .option('--wait', 'wait until the rollout ends; exit 0 only if it completed')
    .option('--wait-timeout <duration>', 'with --wait: give up waiting after this long', parseDurationSeconds)
    .option('--interval <seconds>', 'with --wait: seconds between status checks', parsePositiveInt, 2)
    .action(async (id: string, opts: WaitOptions, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const r = opts.wait
        ? await waitForRollout(api, out, id, { intervalMs: opts.interval * 1000, timeoutMs: waitMs(opts) })
        : await api.rollouts.get.query({ id });
      out.data(r, () => printStatus(r));
    });

  const actions = [
    ['pause', 'pause a running rollout: no more devices start; those installing finish', 'Paused'],
    ['resume', 'resume a paused rollout (failures so far are accepted)', 'Resumed'],
    ['abort', 'stop a rollout: devices not yet updated are cancelled, updated ones stay', 'Aborted'],
    ['rollback', 'send every device that took the version back to the one it ran before', 'Rolled back'],
  ] as const;
  for (const [verb, description, done] of actions) {
    rollouts
      .command(verb)
      .description(description)
      .argument('<id>', 'rollout id')
      .option('--reason <text>', 'why (kept in the rollout events and the audit log)')
      .action(async (id: string, opts: { reason?: string }, cmd: Command) => {
        const { api, out } = await resolveContext(cmd);
        const r = await api.rollouts[verb].mutate({ id, ...(opts.reason ? { reason: opts.reason } : {}) });
        out.data(r, () =>
          console.log(`${done} ${r.id} (${r.model} ${r.version}): now ${r.status}. ${summaryLine(r.counts)}.`),
        );
      });
  }
}

const waitMs = (o: WaitOptions) => (o.waitTimeout === undefined ? undefined : o.waitTimeout * 1000);
