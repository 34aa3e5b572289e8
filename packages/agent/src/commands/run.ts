import { type Command, InvalidArgumentError } from 'commander';
import { Agent } from '../agent.ts';
import { DataDir } from '../data-dir.ts';
import { collectBundle } from '../diagnostics/collect.ts';
import { LogRing } from '../diagnostics/log-ring.ts';
import { DiagnosticsService } from '../diagnostics/service.ts';
import { AgentError } from '../errors.ts';
import { systemProbe } from '../facts.ts';
import { detectAccelerators } from '../hardware.ts';
import { startInferenceApi } from '../inference/http-api.ts';
import { LockBook } from '../inference/locks.ts';
import { ModelServer } from '../inference/model-server.ts';
import { createBackends } from '../inference/select-backend.ts';
import { createInstaller } from '../install/service.ts';
import type { AgentIo } from '../io.ts';
import { awsIotLink } from '../mqtt-link.ts';
import { type Log, systemClock } from '../runtime.ts';
import { openTelemetry } from '../telemetry/open.ts';
import type { TelemetryMode } from '../telemetry/reporter.ts';
import { duration, listenPort, port } from './options.ts';

interface RunFlags {
  dataDir: string;
  mqttPort?: number;
  heartbeat: number;
  inferencePort: number;
  inferenceHost: string;
  telemetryInterval: number;
  telemetryMode: TelemetryMode;
  summaryEvery: number;
}

const telemetryMode = (value: string): TelemetryMode => {
  if (value !== 'all' && value !== 'summary') throw new InvalidArgumentError('must be all or summary');
  return value;
};

export function registerRunCommand(program: Command, io: AgentIo) {
  program
    .command('run')
    .description(
      'connect to the control plane over mTLS MQTT, install and serve the models it assigns, ' +
        'answer inference requests locally; stops on SIGINT/SIGTERM',
    )
    .requiredOption('--data-dir <dir>', 'where enroll stored the identity')
    .option('--mqtt-port <port>', 'MQTT port (default: the one stored at enrollment, 8883)', port)
    .option('--heartbeat <duration>', 'heartbeat interval', duration, 30_000)
    .option('--inference-port <port>', 'port of the local inference API (KServe v2; 0: any free one)', listenPort, 7070)
    .option('--inference-host <host>', 'address the inference API listens on (keep it local)', '127.0.0.1')
    .option('--telemetry-interval <duration>', 'how often system and inference figures are sampled', duration, 10_000)
    .option(
      '--telemetry-mode <mode>',
      'all: send every sample; summary: send samples without inference or anomaly only every --summary-every',
      telemetryMode,
      'all' as TelemetryMode,
    )
    .option('--summary-every <duration>', 'in summary mode, how often a quiet sample is sent', duration, 5 * 60_000)
    .action(async (flags: RunFlags) => {
      const controller = new AbortController();
      const stop = (sig: NodeJS.Signals) => {
        io.out(`${new Date().toISOString()} ${sig}: stopping`);
        controller.abort();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      // The last lines and errors are kept in memory for diagnostics bundles.
      const logs = new LogRing(systemClock);
      const log: Log = logs.wrap((line) => io.out(`${new Date().toISOString()} ${line}`));
      const dataDir = new DataDir(flags.dataDir);
      const identity = await dataDir.readIdentity();
      if (!identity) throw new AgentError(`${dataDir.root} holds no identity; run edgefleet-agent enroll first`);
      const accelerators = await detectAccelerators(systemProbe, systemProbe.cpus[0]?.model ?? '');
      const models = new ModelServer({
        backends: createBackends({ accelerators: accelerators.map((a) => a.kind), log }),
        log,
      });
      const locks = new LockBook();
      const installer = createInstaller({
        dataDir,
        identity,
        runtime: models,
        locks: () => locks.list(),
        clock: systemClock,
        log,
      });
      const telemetry = await openTelemetry({
        dataDir,
        deviceId: identity.deviceId,
        inference: models,
        installer,
        clock: systemClock,
        log,
        intervalMs: flags.telemetryInterval,
        mode: flags.telemetryMode,
        summaryEveryMs: flags.summaryEvery,
      });
      const diagnostics = new DiagnosticsService({
        dataDir,
        log,
        collect: () =>
          collectBundle({
            dataDir,
            logs,
            clock: systemClock,
            config: { ...flags },
            installer,
            serving: () => models.list(),
            telemetryQueue: () => telemetry.queueStats(),
          }),
      });
      const api = await startInferenceApi({
        server: models,
        locks,
        host: flags.inferenceHost,
        port: flags.inferencePort,
        log,
        health: () => {
          const installs = installer.health();
          return {
            ready: models.ready() && installs.ok,
            checks: { models: { ok: models.ready() }, installs },
          };
        },
      });
      log(`inference API on ${api.url}`);
      try {
        const agent = new Agent({
          dataDir,
          links: awsIotLink,
          clock: systemClock,
          log,
          heartbeatMs: flags.heartbeat,
          reconnect: { initialMs: 1000, maxMs: 5 * 60_000, jitter: 0.3 },
          mqttPort: flags.mqttPort,
          installer,
          telemetry,
          diagnostics,
        });
        await agent.run(controller.signal);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await api.close();
        await models.close();
      }
    });
}
