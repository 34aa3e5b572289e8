import type { Command } from 'commander';
import { Agent } from '../agent.ts';
import { DataDir } from '../data-dir.ts';
import type { AgentIo } from '../io.ts';
import { awsIotLink } from '../mqtt-link.ts';
import { systemClock } from '../runtime.ts';
import { duration, port } from './options.ts';

export function registerRunCommand(program: Command, io: AgentIo) {
  program
    .command('run')
    .description(
      'connect to the control plane over mTLS MQTT, heartbeat, renew the certificate; stops on SIGINT/SIGTERM',
    )
    .requiredOption('--data-dir <dir>', 'where enroll stored the identity')
    .option('--mqtt-port <port>', 'MQTT port (default: the one stored at enrollment, 8883)', port)
    .option('--heartbeat <duration>', 'heartbeat interval', duration, 30_000)
    .action(async (flags: { dataDir: string; mqttPort?: number; heartbeat: number }) => {
      const controller = new AbortController();
      const stop = (sig: NodeJS.Signals) => {
        io.out(`${new Date().toISOString()} ${sig}: stopping`);
        controller.abort();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        const agent = new Agent({
          dataDir: new DataDir(flags.dataDir),
          links: awsIotLink,
          clock: systemClock,
          log: (line) => io.out(`${new Date().toISOString()} ${line}`),
          heartbeatMs: flags.heartbeat,
          reconnect: { initialMs: 1000, maxMs: 5 * 60_000, jitter: 0.3 },
          mqttPort: flags.mqttPort,
        });
        await agent.run(controller.signal);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
