import { readdir, readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import type { TSystemMetrics } from '@edgefleet/protocol/telemetry';
import { AGENT_VERSION } from '../facts.ts';

/** Everything the metrics read from the machine; tests pass a fake one. */
export interface MetricsProbe {
  /** Summed over all cores, in ms since boot (os.cpus() times). */
  cpuTimes(): { busy: number; total: number };
  memory(): { total: number; free: number };
  /** Size and free space of the filesystem holding `path`. */
  disk(path: string): Promise<{ total: number; free: number }>;
  /** °C of each thermal zone that could be read (none: the OS exposes none). */
  temperatures(): Promise<number[]>;
  load1(): number | undefined;
  uptimeSeconds(): number;
  rssBytes(): number;
}

/** Linux exposes each sensor as /sys/class/thermal/thermal_zone<N>/temp, in millidegrees. */
export async function readThermalZones(root = '/sys/class/thermal'): Promise<number[]> {
  const zones = (await readdir(root).catch(() => [])).filter((n) => n.startsWith('thermal_zone'));
  const readings = await Promise.all(
    zones.map((z) =>
      readFile(join(root, z, 'temp'), 'utf8').then(
        (text) => Number(text.trim()) / 1000,
        () => Number.NaN,
      ),
    ),
  );
  // Absent sensors read as -273 or garbage on some boards; keep what the protocol can carry.
  return readings.filter((c) => Number.isFinite(c) && c >= -60 && c <= 150);
}

export const systemMetricsProbe: MetricsProbe = {
  cpuTimes: () => {
    let busy = 0;
    let total = 0;
    for (const { times } of os.cpus()) {
      const all = times.user + times.nice + times.sys + times.irq + times.idle;
      total += all;
      busy += all - times.idle;
    }
    return { busy, total };
  },
  memory: () => ({ total: os.totalmem(), free: os.freemem() }),
  disk: async (path) => {
    const s = await statfs(path);
    return { total: s.blocks * s.bsize, free: s.bfree * s.bsize };
  },
  temperatures: () => readThermalZones(),
  // Windows reports [0, 0, 0]: no load average there.
  load1: () => (process.platform === 'win32' ? undefined : os.loadavg()[0]),
  uptimeSeconds: () => os.uptime(),
  rssBytes: () => process.memoryUsage.rss(),
};

/**
 * One sample of the machine per call. CPU % is the busy share of all cores since the previous
 * call (the first covers the time since construction), so each sample describes its interval.
 */
export class SystemMetrics {
  private last: { busy: number; total: number };

  constructor(
    private readonly dataDir: string,
    private readonly probe: MetricsProbe = systemMetricsProbe,
    private readonly agentVersion: string = AGENT_VERSION,
  ) {
    this.last = probe.cpuTimes();
  }

  async collect(): Promise<TSystemMetrics> {
    const { probe } = this;
    const cpu = probe.cpuTimes();
    const busy = cpu.busy - this.last.busy;
    const total = cpu.total - this.last.total;
    this.last = cpu;
    const memory = probe.memory();
    const [disk, temperatures] = await Promise.all([probe.disk(this.dataDir), probe.temperatures()]);
    const load1 = probe.load1();
    const int = (n: number) => Math.max(0, Math.round(n));
    return {
      cpuPercent: total > 0 ? round1(clamp((busy / total) * 100, 0, 100)) : 0,
      memoryUsedBytes: int(memory.total - memory.free),
      memoryTotalBytes: Math.max(1, int(memory.total)),
      diskUsedBytes: int(disk.total - disk.free),
      diskTotalBytes: Math.max(1, int(disk.total)),
      ...(temperatures.length ? { temperatureC: round1(Math.max(...temperatures)) } : {}),
      ...(load1 !== undefined && Number.isFinite(load1) ? { load1: round1(clamp(load1, 0, 10_000)) } : {}),
      uptimeSeconds: Math.max(0, Math.round(probe.uptimeSeconds())),
      agentRssBytes: int(probe.rssBytes()),
      agentVersion: this.agentVersion,
    };
  }
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
const round1 = (n: number) => Math.round(n * 10) / 10;
