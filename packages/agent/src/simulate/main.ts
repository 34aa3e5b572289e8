/**
 * `npm run simulate -- --devices N …`: a fleet of virtual devices running the real agent, for
 * trying rollouts without hardware and for benchmarks. Ctrl-C stops it; run it again with the same
 * --data-dir and the same devices come back (no new enrollment).
 */
import { setMaxListeners } from 'node:events';
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { duration, fingerprint, port } from '../commands/options.ts';
import { errorMessage } from '../errors.ts';
import type { TrustSource } from '../trust.ts';
import { Fleet } from './fleet.ts';

const count = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError('must be 1 to 100000');
  return n;
};
const share = (value: string) => {
  const n = Number(value.replace(/%$/, '')) / (value.endsWith('%') ? 100 : 1);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be 0..1 or a percentage like 2%');
  return n;
};
/** `1/10s` (one heartbeat every 10 s) or a plain duration. */
const rate = (value: string) => duration(value.replace(/^1\//, ''));

interface Flags {
  devices: number;
  server: string;
  token: string[];
  caFingerprint?: string;
  ca?: string;
  insecureTrustOnFirstUse?: boolean;
  dataDir: string;
  mqttPort?: number;
  rate: number;
  failRate: number;
  statusEvery: number;
  telemetryInterval: number;
  telemetryMode: 'all' | 'summary';
  json?: boolean;
}

const program = new Command('simulate')
  .description('run N virtual devices with the real agent (enrollment, mTLS MQTT, installs, inference, reports)')
  .requiredOption('--devices <n>', 'how many devices', count)
  .option('--server <url>', 'gateway URL', 'https://127.0.0.1:8443')
  .option(
    '--token <token>',
    'enrollment token (needed for devices not enrolled yet); repeat it to spread devices over several tokens (groups, tags)',
    (value: string, previous: string[]) => [...previous, value],
    [] as string[],
  )
  .addOption(new Option('--ca-fingerprint <sha256>', 'root CA fingerprint from Settings').argParser(fingerprint))
  .option('--ca <file>', 'PEM file with the CA chain to trust')
  .option('--insecure-trust-on-first-use', 'trust whatever CA the gateway presents (a lab only)')
  .option('--data-dir <dir>', 'where the virtual devices keep their identities', '.edgefleet/simulator')
  .option('--mqtt-port <port>', 'MQTT port (default: the one the gateway names at enrollment)', port)
  .addOption(
    new Option('--rate <rate>', 'heartbeat rate per device, e.g. 1/10s').argParser(rate).default(30_000, '1/30s'),
  )
  .option('--fail-rate <share>', 'share of installs that fail on purpose, e.g. 0.02 or 2%', share, 0)
  .addOption(
    new Option('--status-every <duration>', 'how often to print progress').argParser(duration).default(2000, '2s'),
  )
  .addOption(
    new Option('--telemetry-interval <duration>', 'how often each device reports metrics')
      .argParser(duration)
      .default(10_000, '10s'),
  )
  .addOption(
    new Option('--telemetry-mode <mode>', 'all: every interval; summary: summaries and anomalies only')
      .choices(['all', 'summary'])
      .default('all'),
  )
  .option('--json', 'print progress as one JSON object per line')
  .exitOverride();

try {
  program.parse();
  const flags = program.opts<Flags>();
  const trust: TrustSource = flags.caFingerprint
    ? { kind: 'fingerprint', fingerprint: flags.caFingerprint }
    : flags.ca
      ? { kind: 'file', path: flags.ca }
      : { kind: 'first-use' };
  if (trust.kind === 'first-use' && !flags.insecureTrustOnFirstUse) {
    throw new Error('pass --ca-fingerprint (Settings in the dashboard), --ca FILE, or --insecure-trust-on-first-use');
  }
  const fleet = new Fleet({
    devices: flags.devices,
    server: flags.server,
    tokens: flags.token,
    trust,
    dataDir: resolve(flags.dataDir),
    mqttPort: flags.mqttPort,
    heartbeatMs: flags.rate,
    failRate: flags.failRate,
    telemetry: { intervalMs: flags.telemetryInterval, mode: flags.telemetryMode },
    log: (line) => console.error(`[simulate] ${line}`),
  });
  const controller = new AbortController();
  // Every device's loops wait on this one signal: thousands of listeners are expected, not a leak.
  setMaxListeners(0, controller.signal);
  const stop = () => {
    console.error('[simulate] stopping (identities stay in the data dir)…');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const print = () => {
    if (!flags.json) return console.log(`[simulate] ${fleet.summary()}`);
    const devices = fleet.views.map((v) => ({
      index: v.index,
      deviceId: v.deviceId,
      phase: v.phase,
      connected: v.connected,
      error: v.error,
      models: v.report?.models.map((m) => ({ model: m.model, serving: m.serving?.version, install: m.install })),
    }));
    console.log(JSON.stringify({ ts: new Date().toISOString(), summary: fleet.summary(), devices }));
  };
  const timer = setInterval(print, flags.statusEvery);
  await fleet.run(controller.signal);
  clearInterval(timer);
  print();
  process.exit(0);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  console.error(`simulate: ${errorMessage(e)}`);
  process.exit(1);
}
