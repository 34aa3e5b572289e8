import type { TDeviceFacts } from '@edgefleet/protocol/device';
import type { SystemProbe } from './facts.ts';

type Accelerator = TDeviceFacts['accelerators'][number];

/**
 * Inference backends the agent knows (inference/select-backend.ts) and the packages each needs.
 * The ONNX runtimes are dependencies of the agent; the others are added by a device image.
 */
export const BACKEND_PACKAGES: Readonly<Record<string, readonly string[]>> = {
  'onnxruntime-node': ['onnxruntime-node'],
  'onnxruntime-web': ['onnxruntime-web'],
  'openvino-node': ['openvino-node'],
  'tfjs-tflite-node': ['tfjs-tflite-node', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu'],
};

/** Backends whose packages are all installed (cheap: resolves, never loads native code). */
export const installedBackends = (probe: Pick<SystemProbe, 'canResolve'>): string[] =>
  Object.entries(BACKEND_PACKAGES)
    .filter(([, packages]) => packages.every((p) => probe.canResolve(p)))
    .map(([name]) => name);

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
