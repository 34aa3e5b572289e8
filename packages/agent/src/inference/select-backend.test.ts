import { describe, expect, it } from 'vitest';
import { FakeBackend } from './fake-backend.ts';
import { executionProvidersFor } from './onnxruntime-node.ts';
import { selectBackend } from './select-backend.ts';

describe('executionProvidersFor', () => {
  it('maps detected hardware to onnxruntime execution providers, cpu always last', () => {
    expect(executionProvidersFor([])).toEqual(['cpu']);
    expect(executionProvidersFor(['cuda', 'tensorrt'])).toEqual(['tensorrt', 'cuda', 'cpu']); // a Jetson
    expect(executionProvidersFor(['cuda'])).toEqual(['cuda', 'cpu']);
    expect(executionProvidersFor(['openvino'])).toEqual(['openvino', 'cpu']);
    expect(executionProvidersFor(['coreml'])).toEqual(['coreml', 'cpu']);
    expect(executionProvidersFor(['edgetpu'])).toEqual(['cpu']);
  });

  it('drops providers the installed binding was not built with', () => {
    expect(executionProvidersFor(['cuda', 'tensorrt', 'openvino'], ['cpu', 'cuda', 'tensorrt'])).toEqual([
      'tensorrt',
      'cuda',
      'cpu',
    ]);
    expect(executionProvidersFor(['cuda', 'tensorrt'], ['cpu'])).toEqual(['cpu']);
  });
});

describe('selectBackend', () => {
  const gpu = new FakeBackend({ name: 'gpu-runtime', accelerators: ['cuda', 'cpu'] });
  const cpu = new FakeBackend({ name: 'cpu-runtime', accelerators: ['cpu'] });
  const broken = new FakeBackend({ name: 'broken', unavailable: 'native binding: GLIBC_2.38 not found' });
  const tflite = new FakeBackend({ name: 'tflite', runtimes: ['tflite'], accelerators: ['cpu'] });

  it('takes the first available backend that reads the runtime and uses the accelerator', async () => {
    expect((await selectBackend([broken, cpu, gpu], { runtime: 'onnx', accelerator: 'cuda' })).backend).toBe(gpu);
    const c = await selectBackend([broken, cpu, gpu], { runtime: 'onnx', accelerator: 'cpu' });
    expect([c.backend, c.accelerator, c.note]).toEqual([cpu, 'cpu', undefined]);
  });

  it('runs portable formats on the CPU when nothing here uses their accelerator, saying so', async () => {
    const c = await selectBackend([broken, cpu], { runtime: 'onnx', accelerator: 'tensorrt' });
    expect([c.backend, c.accelerator]).toEqual([cpu, 'cpu']);
    expect(c.note).toBe('no backend here can use tensorrt; running the onnx model on the CPU with cpu-runtime');
  });

  it('does not describe backends it does not need', async () => {
    let described = 0;
    const counting = new FakeBackend({ name: 'later' });
    counting.describe = async () => {
      described++;
      return { name: 'later', available: true, accelerators: ['cpu'] };
    };
    await selectBackend([cpu, counting], { runtime: 'onnx', accelerator: 'cpu' });
    expect(described).toBe(0);
  });

  it('refuses what cannot run here, with the reason of every backend', async () => {
    await expect(selectBackend([broken, cpu, tflite], { runtime: 'tflite', accelerator: 'edgetpu' })).rejects.toThrow(
      'no backend here runs tflite models built for edgetpu (broken: native binding: GLIBC_2.38 not found; ' +
        'cpu-runtime: reads onnx only; tflite: can use cpu here)',
    );
    await expect(selectBackend([], { runtime: 'onnx', accelerator: 'cpu' })).rejects.toMatchObject({
      code: 'no_backend',
      message: 'no backend here runs onnx models built for cpu (no backends configured)',
    });
  });
});
