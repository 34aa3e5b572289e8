import { type Command, Option } from 'commander';
import { DataDir } from '../data-dir.ts';
import { enroll } from '../enroll.ts';
import { collectFacts } from '../facts.ts';
import type { AgentIo } from '../io.ts';
import { systemClock } from '../runtime.ts';
import type { TrustSource } from '../trust.ts';
import { duration, fingerprint, port } from './options.ts';

interface EnrollFlags {
  server?: string;
  token?: string;
  dataDir: string;
  caFingerprint?: string;
  ca?: string;
  insecureTrustOnFirstUse?: boolean;
  mqttPort?: number;
  pollInterval?: number;
  timeout: number;
  serial?: string;
  hardwareId?: string;
}

export function registerEnrollCommand(program: Command, io: AgentIo) {
  program
    .command('enroll')
    .description('make a key pair on this device, pin the control plane CA, and enroll (waits while pending)')
    .option('--server <url>', 'gateway URL, e.g. https://fleet.example.com:8443')
    .option('--token <token>', 'enrollment token from the dashboard or `edgefleet enroll-tokens create`')
    .requiredOption('--data-dir <dir>', 'where the agent keeps its key, certificate and state')
    .addOption(
      new Option('--ca-fingerprint <sha256>', 'SHA-256 fingerprint of the root CA (Settings)')
        .argParser(fingerprint)
        .conflicts('ca'),
    )
    .option('--ca <file>', 'PEM file with the CA chain to trust')
    .addOption(
      new Option('--insecure-trust-on-first-use', 'trust whatever CA the server presents (unsafe)').conflicts([
        'ca',
        'caFingerprint',
      ]),
    )
    .option('--mqtt-port <port>', 'MQTT port of the gateway', port)
    .option('--poll-interval <duration>', 'first wait between approval checks (default: as the server says)', duration)
    .addOption(
      new Option('--timeout <duration>', 'give up waiting for approval after this long')
        .argParser(duration)
        .default(600_000, '10m'),
    )
    .addOption(new Option('--serial <serial>', 'serial number to report (default: from the firmware)').hideHelp())
    .addOption(new Option('--hardware-id <id>', 'hardware id to report (default: /etc/machine-id)').hideHelp())
    .action(async (flags: EnrollFlags) => {
      const trust: TrustSource | undefined = flags.caFingerprint
        ? { kind: 'fingerprint', fingerprint: flags.caFingerprint }
        : flags.ca
          ? { kind: 'file', path: flags.ca }
          : flags.insecureTrustOnFirstUse
            ? { kind: 'first-use' }
            : undefined;
      await enroll(
        {
          dataDir: new DataDir(flags.dataDir),
          clock: systemClock,
          log: io.out,
          collectFacts: () => collectFacts({ serialNumber: flags.serial, hardwareId: flags.hardwareId }),
        },
        {
          server: flags.server,
          token: flags.token,
          trust,
          mqttPort: flags.mqttPort,
          pollIntervalMs: flags.pollInterval,
          timeoutMs: flags.timeout,
        },
      );
    });
}
