import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZSystemMetrics } from '@edgefleet/protocol/telemetry';
import { describe, expect, it } from 'vitest';
import { type MetricsProbe, readThermalZones, SystemMetrics } from './system-metrics.ts';

function probe(over: Partial<MetricsProbe> = {}) {
  const cpu = { busy: 1000, total: 4000 };
  const p: MetricsProbe & { cpu: typeof cpu } = {
    cpu,
    cpuTimes: () => ({ ...cpu }),
    memory: () => ({ total: 8e9, free: 6e9 }),
    disk: async () => ({ total: 100e9, free: 25e9 }),
    temperatures: async () => [41.5, 63.2, 55],
    load1: () => 1.23,
    uptimeSeconds: () => 1234.4,
    rssBytes: () => 90e6,
    ...over,
  };
  return p;
}

describe('SystemMetrics', () => {
  it('measures CPU over the time since the previous sample, and takes the hottest zone', async () => {
    const p = probe();
    const m = new SystemMetrics('/data', p, '1.2.3');
    p.cpu.busy += 300;
    p.cpu.total += 1000;
    const first = ZSystemMetrics.parse(await m.collect());
    expect(first).toEqual({
      cpuPercent: 30,
      memoryUsedBytes: 2e9,
      memoryTotalBytes: 8e9,
      diskUsedBytes: 75e9,
      diskTotalBytes: 100e9,
      temperatureC: 63.2,
      load1: 1.2,
      uptimeSeconds: 1234,
      agentRssBytes: 90e6,
      agentVersion: '1.2.3',
    });
    p.cpu.busy += 950;
    p.cpu.total += 1000;
    expect((await m.collect()).cpuPercent).toBe(95);
    expect((await m.collect()).cpuPercent).toBe(0); // no time passed
  });

  it('leaves out what the machine does not have', async () => {
    const m = new SystemMetrics('/data', probe({ temperatures: async () => [], load1: () => undefined }));
    const sample = ZSystemMetrics.parse(await m.collect());
    expect(sample).not.toHaveProperty('temperatureC');
    expect(sample).not.toHaveProperty('load1');
  });

  it('reads this machine into a valid sample', async () => {
    const m = new SystemMetrics(tmpdir());
    expect(ZSystemMetrics.safeParse(await m.collect()).success).toBe(true);
  });

  it('reads thermal zones in millidegrees, skipping unreadable and absurd ones', async () => {
    const root = await mkdtemp(join(tmpdir(), 'thermal-'));
    try {
      const zone = async (name: string, temp?: string) => {
        await mkdir(join(root, name));
        if (temp !== undefined) await writeFile(join(root, name, 'temp'), temp);
      };
      await zone('thermal_zone0', '45000\n');
      await zone('thermal_zone1', '71250\n');
      await zone('thermal_zone2'); // no temp file
      await zone('thermal_zone3', '-273000\n');
      await zone('cooling_device0', '3\n');
      expect((await readThermalZones(root)).sort()).toEqual([45, 71.25]);
      expect(await readThermalZones(join(root, 'missing'))).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
