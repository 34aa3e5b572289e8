import { ZDeviceFacts } from '@edgefleet/protocol/device';
import { describe, expect, it } from 'vitest';
import { cleanIdentifier, collectFacts, type SystemProbe } from './facts.ts';

function fakeProbe(files: Record<string, string>, over: Partial<SystemProbe> = {}): SystemProbe {
  return {
    platform: 'linux',
    arch: 'arm64',
    release: '5.15.0-tegra',
    hostname: 'edge-01',
    cpus: Array.from({ length: 6 }, () => ({ model: 'ARMv8 Processor rev 1 (v8l)' })),
    totalmem: 8 * 1024 ** 3,
    readText: async (p) => files[p] ?? null,
    exists: async (p) => p in files,
    listDir: async (p) =>
      Object.keys(files)
        .filter((f) => f.startsWith(`${p}/`))
        .map((f) => f.slice(p.length + 1).split('/')[0]!),
    run: async () => null,
    canResolve: () => false,
    ...over,
  };
}

describe('collectFacts', () => {
  it('describes this machine with a ZDeviceFacts-valid object', async () => {
    const facts = await collectFacts();
    expect(ZDeviceFacts.safeParse(facts).success).toBe(true);
    expect(facts.cpu.cores).toBeGreaterThanOrEqual(1);
    expect(facts.memoryBytes).toBeGreaterThan(0);
    expect(facts.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('finds a Jetson, an Edge TPU and identifiers, with overrides winning', async () => {
    const probe = fakeProbe({
      '/etc/nv_tegra_release': '# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref',
      '/proc/device-tree/model': 'NVIDIA Jetson Orin Nano Developer Kit\0',
      '/proc/device-tree/serial-number': '1423021012345\0',
      '/etc/machine-id': 'a1b2c3d4e5f6\n',
      '/dev/apex_0': '',
    });
    const facts = await collectFacts({}, probe);
    expect(ZDeviceFacts.parse(facts)).toEqual(facts);
    expect(facts.accelerators).toEqual([
      { kind: 'cuda', name: 'NVIDIA Jetson Orin Nano Developer Kit (L4T R35.4.1)' },
      { kind: 'tensorrt', name: 'NVIDIA Jetson Orin Nano Developer Kit (L4T R35.4.1)' },
      { kind: 'edgetpu', name: 'Coral Edge TPU (PCIe)' },
    ]);
    expect(facts.serialNumber).toBe('1423021012345');
    expect(facts.hardwareId).toBe('a1b2c3d4e5f6');
    const overridden = await collectFacts({ serialNumber: 'SN-1', hardwareId: 'HW-1' }, probe);
    expect([overridden.serialNumber, overridden.hardwareId]).toEqual(['SN-1', 'HW-1']);
  });

  it('reads NVIDIA GPUs from nvidia-smi when /proc has none, and Intel from the CPU model', async () => {
    const probe = fakeProbe(
      {},
      {
        arch: 'x64',
        cpus: [{ model: 'Intel(R) Core(TM) i7-1185G7 @ 3.00GHz' }],
        run: async (cmd) => (cmd === 'nvidia-smi' ? 'GPU 0: NVIDIA RTX A2000 (UUID: GPU-1234)\n' : null),
        canResolve: (name) => name === 'onnxruntime-node',
      },
    );
    const facts = await collectFacts({}, probe);
    expect(facts.accelerators).toEqual([
      { kind: 'cuda', name: 'NVIDIA RTX A2000' },
      { kind: 'openvino', name: 'Intel(R) Core(TM) i7-1185G7 @ 3.00GHz' },
    ]);
    expect(facts.backends).toEqual(['onnxruntime-node']);
  });

  it('survives a hostile machine: failing probes, empty names, huge values', async () => {
    const probe = fakeProbe(
      { '/sys/class/dmi/id/product_serial': 'To Be Filled By O.E.M.' },
      {
        hostname: '',
        cpus: [],
        platform: 'darwin',
        arch: 'arm64',
        listDir: async () => {
          throw new Error('EACCES');
        },
        readText: async (p) => (p === '/etc/os-release' ? `PRETTY_NAME="${'x'.repeat(500)}"` : null),
      },
    );
    const facts = await collectFacts({}, probe);
    expect(ZDeviceFacts.safeParse(facts).success).toBe(true);
    expect(facts.hostname).toBe('unknown');
    expect(facts.cpu.cores).toBe(1);
    expect(facts.serialNumber).toBeUndefined();
    expect(facts.accelerators.map((a) => a.kind)).toEqual(['coreml']);
  });

  it('reports a backend only when all its packages resolve, unless told which ones load', async () => {
    const installed = new Set(['onnxruntime-web', 'openvino-node', 'tfjs-tflite-node', '@tensorflow/tfjs-core']);
    const probe = fakeProbe({}, { canResolve: (name) => installed.has(name) });
    expect((await collectFacts({}, probe)).backends).toEqual(['onnxruntime-web', 'openvino-node']);
    installed.add('@tensorflow/tfjs-backend-cpu');
    expect((await collectFacts({}, probe)).backends).toEqual(['onnxruntime-web', 'openvino-node', 'tfjs-tflite-node']);
    expect((await collectFacts({ backends: ['onnxruntime-web'] }, probe)).backends).toEqual(['onnxruntime-web']);
  });

  it('ignores firmware placeholder identifiers', () => {
    expect(cleanIdentifier('Default string')).toBeUndefined();
    expect(cleanIdentifier('000000')).toBeUndefined();
    expect(cleanIdentifier(' ABC123\0')).toBe('ABC123');
  });
});
