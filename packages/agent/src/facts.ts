import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';

import { type TDeviceFacts, ZDeviceFacts } from '@edgefleet/protocol/device';
import { detectAccelerators, installedBackends } from './hardware.ts';

const require = createRequire(import.meta.url);
export const AGENT_VERSION: string = (require('../package.json') as { version: string }).version;

/** Everything facts collection reads from the machine; tests pass a fake one. */
export interface SystemProbe {
  platform: NodeJS.Platform;
  arch: string;
  release: string;
  hostname: string;
  cpus: { model: string }[];
  totalmem: number;
  /** Text of a file, or null when it does not exist or cannot be read. */
  readText(path: string): Promise<string | null>;
  exists(path: string): Promise<boolean>;
  listDir(path: string): Promise<string[]>;
  /** stdout of a short command, or null if it is missing, fails or takes too long. */
  run(cmd: string, args: string[]): Promise<string | null>;
  canResolve(moduleName: string): boolean;
}

export const systemProbe: SystemProbe = {
  platform: process.platform,
  arch: os.arch(),
  release: os.release(),
  hostname: os.hostname(),
  cpus: os.cpus(),
  totalmem: os.totalmem(),
  readText: (path) => readFile(path, 'utf8').catch(() => null),
  exists: (path) =>
    stat(path).then(
      () => true,
      () => false,
    ),
  listDir: (path) => readdir(path).catch(() => []),
  run: (cmd, args) =>
    new Promise((resolve) => {
      execFile(cmd, args, { timeout: 3000, maxBuffer: 64 * 1024 }, (err, stdout) => resolve(err ? null : stdout));
    }),
  canResolve: (name) => {
    try {
      require.resolve(name);
      return true;
    } catch {
      return false;
    }
  },
};

/** Firmware placeholders that identify nothing; reporting them would pre-authorize every such box. */
const PLACEHOLDER =
  /^(0+|none|n\/a|not specified|default string|to be filled by o\.e\.m\.|system serial number|123456789)$/i;

export function cleanIdentifier(raw: string | null | undefined): string | undefined {
  // Device-tree strings end with NUL.
  const value = raw?.replace(/\0/g, '').trim().slice(0, 128);
  return value && !PLACEHOLDER.test(value) ? value : undefined;
}

const clip = (s: string, max: number) => s.replace(/\s+/g, ' ').trim().slice(0, max);

async function osVersion(probe: SystemProbe): Promise<string> {
  const osRelease = await probe.readText('/etc/os-release');
  const pretty = osRelease && /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1];
  return clip(pretty || probe.release, 100);
}

export interface FactOverrides {
  serialNumber?: string;
  hardwareId?: string;
  /** Backends known to load (inference/select-backend.ts availableBackends); else those installed. */
  backends?: string[];
}

/** What the device tells the control plane about itself at enrollment. Never throws for missing bits. */
export async function collectFacts(
  overrides: FactOverrides = {},
  probe: SystemProbe = systemProbe,
): Promise<TDeviceFacts> {
  const cpuModel = clip(probe.cpus[0]?.model ?? '', 200);
  const serial =
    cleanIdentifier(overrides.serialNumber) ??
    cleanIdentifier(await probe.readText('/sys/class/dmi/id/product_serial')) ??
    cleanIdentifier(await probe.readText('/proc/device-tree/serial-number'));
  const hardwareId = cleanIdentifier(overrides.hardwareId) ?? cleanIdentifier(await probe.readText('/etc/machine-id'));
  const facts: TDeviceFacts = {
    hostname: clip(probe.hostname, 253) || 'unknown',
    os: clip(probe.platform, 100),
    osVersion: await osVersion(probe),
    arch: clip(probe.arch, 32),
    cpu: { model: cpuModel, cores: Math.min(4096, Math.max(1, probe.cpus.length)) },
    memoryBytes: Math.max(0, Math.floor(probe.totalmem)),
    accelerators: (await detectAccelerators(probe, cpuModel)).slice(0, 32),
    backends: (overrides.backends ?? installedBackends(probe)).slice(0, 32),
    agentVersion: AGENT_VERSION,
    ...(serial ? { serialNumber: serial } : {}),
    ...(hardwareId ? { hardwareId } : {}),
  };
  return ZDeviceFacts.parse(facts);
}
