import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type { Api } from '../client.ts';
import { CliError, resolveContext } from '../context.ts';
import { type Output, table, when } from '../output.ts';
import { bundleSummary } from './diagnostics-view.ts';
import { parseDurationSeconds, parsePositiveInt } from './parse.ts';
import { duration } from './rollout-view.ts';

type Diagnostics = Awaited<ReturnType<Api['diagnostics']['get']['query']>>;

interface Options {
  wait?: boolean;
  timeout: number;
  interval: number;
  out?: string;
  list?: boolean;
  get?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STILL_WAITING_EVERY_MS = 10_000;

/**
 * Polls the request until the device uploaded its bundle. Expired, or still pending when the
 * timeout is up, is a one-line error (the request itself stays: the device answers when it is back).
 */
async function waitForBundle(api: Api, out: Output, id: string, opts: { timeoutMs: number; intervalMs: number }) {
  const started = Date.now();
  let nextNote = started + STILL_WAITING_EVERY_MS;
  for (;;) {
    const d = await api.diagnostics.get.query({ id });
    if (d.status === 'uploaded') return d;
    if (d.status === 'expired') throw new CliError(`diagnostics request ${id} expired without an answer`);
    const waited = Date.now() - started;
    if (waited >= opts.timeoutMs) {
      throw new CliError(
        `no bundle from ${d.deviceId} after ${duration(waited / 1000)}: request ${id} stays pending ` +
          `(fetch it later with \`edgefleet devices diagnostics ${d.deviceId} --get ${id}\`)`,
      );
    }
    if (Date.now() >= nextNote) {
      out.info(`still waiting for ${d.deviceId} (${duration(waited / 1000)} of ${duration(opts.timeoutMs / 1000)})…`);
      nextNote += STILL_WAITING_EVERY_MS;
    }
    await sleep(Math.min(opts.intervalMs, Math.max(0, opts.timeoutMs - waited)));
  }
}

async function listRequests(api: Api, out: Output, deviceId: string) {
  const list = await api.diagnostics.list.query({ deviceId });
  out.data(list, () => {
    if (list.length === 0) return console.log(`No diagnostics requested from ${deviceId} yet.`);
    const rows = list.map((d) => ({
      id: d.id,
      status: d.status,
      requested: when(d.requestedAt),
      by: d.requestedBy,
      uploaded: when(d.uploadedAt),
      size: d.sizeBytes === null ? '-' : `${Math.max(1, Math.round(d.sizeBytes / 1024))} KiB`,
    }));
    console.log(table(rows, ['id', 'status', 'requested', 'by', 'uploaded', 'size']));
  });
}

export function registerDiagnosticsCommand(devices: Command) {
  devices
    .command('diagnostics')
    .description('ask a device for a diagnostics bundle (logs, errors, config, models) and fetch it')
    .argument('<id>', 'device id')
    .option('--wait', 'wait until the device uploaded the bundle; exit non-zero if it does not in time')
    .addOption(
      new Option('--timeout <duration>', 'with --wait: give up after this long')
        .argParser(parseDurationSeconds)
        .default(60, '60s'),
    )
    .option('--interval <seconds>', 'with --wait: seconds between checks', parsePositiveInt, 2)
    .option('--out <file>', 'write the whole bundle as JSON to this file (implies --wait)')
    .option('--list', "list the device's earlier requests instead of making one")
    .option('--get <request-id>', 'read an earlier request (from --list) instead of making a new one')
    .addHelpText(
      'after',
      `
Without --wait the request is made and the command returns: an online agent uploads within
seconds, an offline one when it is back (requests wait 7 days). Durations: 30s, 2m.

Examples:
  edgefleet devices diagnostics dev_… --wait
  edgefleet devices diagnostics dev_… --wait --timeout 2m --out bundle.json
  edgefleet devices diagnostics dev_… --list
  edgefleet devices diagnostics dev_… --get diag_… --out bundle.json`,
    )
    .action(async (deviceId: string, opts: Options, cmd: Command) => {
      if (opts.list && (opts.wait || opts.out || opts.get)) {
        throw new CliError('--list lists requests; it takes no --wait, --out or --get', 2);
      }
      const { api, out } = await resolveContext(cmd);
      if (opts.list) return listRequests(api, out, deviceId);

      let d: Diagnostics;
      if (opts.get) {
        d = await api.diagnostics.get.query({ id: opts.get });
        if (d.deviceId !== deviceId) throw new CliError(`${opts.get} is a request to ${d.deviceId}, not ${deviceId}`);
      } else {
        const requested = await api.diagnostics.request.mutate({ deviceId });
        d = { ...requested, bundle: null };
      }
      if (d.status !== 'uploaded' && (opts.wait || opts.out)) {
        out.info(
          `${opts.get ? 'Waiting for' : 'Requested'} diagnostics ${d.id} from ${deviceId}; ` +
            `waiting up to ${duration(opts.timeout)} for the device to upload it…`,
        );
        d = await waitForBundle(api, out, d.id, { timeoutMs: opts.timeout * 1000, intervalMs: opts.interval * 1000 });
        out.info(`Bundle uploaded (${Math.max(1, Math.round((d.sizeBytes ?? 0) / 1024))} KiB).`);
      }

      const { bundle, ...view } = d;
      if (!bundle) {
        return out.data(view, () => {
          console.log(`${opts.get ? 'Diagnostics' : 'Requested diagnostics'} ${d.id} from ${deviceId}: ${d.status}.`);
          if (d.status === 'pending') {
            console.log(`Fetch it with \`edgefleet devices diagnostics ${deviceId} --get ${d.id} --wait\`.`);
          }
        });
      }
      if (opts.out) {
        const file = opts.out;
        await writeFile(file, `${JSON.stringify(bundle, null, 2)}\n`).catch((e: NodeJS.ErrnoException) => {
          throw new CliError(`cannot write ${file}: ${e.code === 'ENOENT' ? 'no such directory' : e.message}`);
        });
        return out.data({ ...view, out: file }, () => console.log(`Wrote diagnostics ${d.id} to ${file}.`));
      }
      out.data(d, () => console.log(bundleSummary(view, bundle).join('\n')));
    });
}
