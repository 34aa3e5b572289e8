import { compareSemver } from '@edgefleet/protocol/semver';
import { describe, expect, it } from 'vitest';
import { selectVariant } from './select-variant.ts';

const v = (runtime: string, accelerator: string, precision: string) => ({ runtime, accelerator, precision });
const fleetBuild = [
  v('onnx', 'cpu', 'fp32'),
  v('onnx', 'cpu', 'int8'),
  v('tensorrt', 'tensorrt', 'fp16'),
  v('onnx', 'cuda', 'fp16'),
  v('onnx', 'cuda', 'fp32'),
  v('openvino', 'openvino', 'fp16'),
  v('tflite', 'edgetpu', 'int8'),
];

describe('selectVariant', () => {
  it('walks tensorrt fp16 → cuda fp16 → cuda fp32 → openvino → coreml → edgetpu → cpu fp32', () => {
    expect(selectVariant(fleetBuild, { accelerators: ['cuda', 'tensorrt'] })).toEqual(fleetBuild[2]);
    expect(selectVariant(fleetBuild, { accelerators: ['cuda'] })).toEqual(fleetBuild[3]);
    expect(
      selectVariant(
        fleetBuild.filter((a) => a.precision !== 'fp16'),
        { accelerators: ['cuda'] },
      ),
    ).toEqual(fleetBuild[4]);
    expect(selectVariant(fleetBuild, { accelerators: ['openvino', 'edgetpu'] })).toEqual(fleetBuild[5]);
    expect(selectVariant(fleetBuild, { accelerators: ['edgetpu'] })).toEqual(fleetBuild[6]);
    expect(selectVariant(fleetBuild, { accelerators: ['coreml'] })).toEqual(fleetBuild[0]);
    expect(selectVariant(fleetBuild, { accelerators: [] })).toEqual(fleetBuild[0]);
  });

  it('only uses accelerators the device reports, cpu always, and a quantised cpu build last', () => {
    const gpuOnly = [v('onnx', 'cuda', 'fp16')];
    expect(selectVariant(gpuOnly, { accelerators: [] })).toBeNull();
    expect(selectVariant([v('onnx', 'cpu', 'int8')], { accelerators: ['cuda'] })).toEqual(v('onnx', 'cpu', 'int8'));
    expect(selectVariant([], { accelerators: ['cuda'] })).toBeNull();
  });

  it('respects the runtimes a device can load, when it says', () => {
    expect(selectVariant(fleetBuild, { accelerators: ['tensorrt', 'cuda'], runtimes: ['onnx'] })).toEqual(
      fleetBuild[3],
    );
  });
});

describe('compareSemver', () => {
  it('orders by semver precedence', () => {
    const sorted = ['1.10.0', '1.2.0', '1.2.0-rc.1', '1.2.0-beta.11', '1.2.0-beta.2', '0.9.9', '1.2.0-alpha'].sort(
      compareSemver,
    );
    expect(sorted).toEqual(['0.9.9', '1.2.0-alpha', '1.2.0-beta.2', '1.2.0-beta.11', '1.2.0-rc.1', '1.2.0', '1.10.0']);
    expect(compareSemver('1.0.0+build.1', '1.0.0')).toBe(0);
  });
});
