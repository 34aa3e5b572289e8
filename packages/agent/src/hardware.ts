import type { TDeviceFacts } from '@edgefleet/protocol/device';
import type { SystemProbe } from './facts.ts';

type Accelerator = TDeviceFacts['accelerators'][number];

const clip = (s: string) => s.replace(/\s+/g, ' ').trim().slice(0, 200);

/** NVIDIA discrete GPUs: the driver's /proc entries, else `nvidia-smi -L` if it is installed. */
async function nvidiaGpus(probe: SystemProbe): Promise<Accelerator[]> {
  const found: Accelerator[] = [];
  for (const gpu of await probe.listDir('/proc/driver/nvidia/gpus')) {
    const info = await probe.readText(`/proc/driver/nvidia/gpus/${gpu}/information`);
    const model = info && /^Model:\s*(.+)$/m.exec(info)?.[1];
    if (model) found.push({ kind: 'cuda', name: clip(model) });
  }
  if (found.length > 0) return found;
  const list = await probe.run('nvidia-smi', ['-L']);
  for (const line of list?.split('\n') ?? []) {
    const model = /^GPU \d+:\s*(.+?)\s*(\(UUID:.*)?$/.exec(line.trim())?.[1];
    if (model) found.push({ kind: 'cuda', name: clip(model) });
  }
  return found;
}

/** Jetson modules have an integrated GPU usable by CUDA and TensorRT, announced by L4T's release file. */
async function jetson(probe: SystemProbe): Promise<Accelerator[]> {
  const release = await probe.readText('/etc/nv_tegra_release');
  if (release === null) return [];
  const model = (await probe.readText('/proc/device-tree/model'))?.replace(/\0/g, '');
  const l4t = /^#\s*(R\d+)[^,]*,\s*REVISION:\s*([\d.]+)/m.exec(release);
  const name = clip(`${model?.trim() || 'NVIDIA Jetson'}${l4t ? ` (L4T ${l4t[1]}.${l4t[2]})` : ''}`);
  return [
    { kind: 'cuda', name },
    { kind: 'tensorrt', name },
  ];
}

/**
 * Accelerators found cheaply and without side effects: file probes and at most one short
 * command. Each probe is optional; one failing never hides the others. Issue 7's backend
 * selection maps these kinds to onnxruntime execution providers.
 */
export async function detectAccelerators(probe: SystemProbe, cpuModel: string): Promise<Accelerator[]> {
  const probes: Promise<Accelerator[]>[] = [
    nvidiaGpus(probe),
    jetson(probe),
    probe.exists('/dev/apex_0').then((yes) => (yes ? [{ kind: 'edgetpu', name: 'Coral Edge TPU (PCIe)' }] : [])),
  ];
  const results = await Promise.all(probes.map((p) => p.catch(() => [] as Accelerator[])));
  const found = results.flat();
  if (/intel/i.test(cpuModel)) found.push({ kind: 'openvino', name: clip(cpuModel) });
  if (probe.platform === 'darwin' && probe.arch === 'arm64') {
    found.push({ kind: 'coreml', name: clip(`Apple Neural Engine (${cpuModel || 'Apple silicon'})`) });
  }
  return found;
}
