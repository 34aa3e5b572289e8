import { describe, expect, it } from 'vitest';
import { FakeBackend } from './fake-backend.ts';
import { ModelServer } from './model-server.ts';

describe('ModelServer.unsupported (the installer preflight)', () => {
  const server = new ModelServer({ backends: [new FakeBackend({ name: 'onnx-cpu' })], log: () => {} });

  it('accepts what a backend here can run, the CPU fallback included', async () => {
    expect(await server.unsupported({ runtime: 'onnx', accelerator: 'cpu' })).toBeNull();
    expect(await server.unsupported({ runtime: 'onnx', accelerator: 'cuda' })).toBeNull();
  });

  it('names why an artifact for a runtime nobody here reads is refused', async () => {
    expect(await server.unsupported({ runtime: 'tflite', accelerator: 'edgetpu' })).toMatch(
      /no backend here runs tflite models built for edgetpu \(onnx-cpu: reads onnx only\)/,
    );
  });
});
