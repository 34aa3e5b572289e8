/**
 * Which artifact of a version a device should run. The chain is ordered fastest first; a step
 * counts only if the device reports its accelerator (cpu always), so one rollout serves a mixed
 * fleet: a Jetson gets the TensorRT fp16 engine, a laptop the CPU fp32 ONNX file.
 */
export interface VariantStep {
  accelerator: string;
  /** Any precision when omitted (e.g. edgetpu is int8-only by nature). */
  precision?: string;
}

export const VARIANT_CHAIN: readonly VariantStep[] = [
  { accelerator: 'tensorrt', precision: 'fp16' },
  { accelerator: 'tensorrt' },
  { accelerator: 'cuda', precision: 'fp16' },
  { accelerator: 'cuda', precision: 'fp32' },
  { accelerator: 'cuda' },
  { accelerator: 'openvino' },
  { accelerator: 'coreml' },
  { accelerator: 'edgetpu' },
  { accelerator: 'npu' },
  { accelerator: 'cpu', precision: 'fp32' },
  // Last resort: a quantised or half-precision CPU build still runs.
  { accelerator: 'cpu', precision: 'int8' },
  { accelerator: 'cpu' },
];

const PRECISION_ORDER = ['fp16', 'fp32', 'int8'];

export function selectVariant<A extends { accelerator: string; precision: string; runtime?: string }>(
  artifacts: readonly A[],
  device: { accelerators: readonly string[]; runtimes?: readonly string[] },
): A | null {
  const has = new Set([...device.accelerators, 'cpu']);
  const usable = artifacts.filter(
    (a) => !device.runtimes || a.runtime === undefined || device.runtimes.includes(a.runtime),
  );
  for (const step of VARIANT_CHAIN) {
    if (!has.has(step.accelerator)) continue;
    const matches = usable
      .filter((a) => a.accelerator === step.accelerator && (!step.precision || a.precision === step.precision))
      .sort((x, y) => rank(x.precision) - rank(y.precision));
    if (matches[0]) return matches[0];
  }
  return null;
}

const rank = (precision: string) => {
  const i = PRECISION_ORDER.indexOf(precision);
  return i === -1 ? PRECISION_ORDER.length : i;
};
