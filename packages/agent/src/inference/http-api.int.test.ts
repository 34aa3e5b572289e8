import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClassifierModel, classifierTarget, seededInputs, writeClassifierModel } from '../test/models.ts';
import { type HealthReport, type InferenceApi, startInferenceApi } from './http-api.ts';
import { LockBook } from './locks.ts';
import { ModelServer } from './model-server.ts';
import { OnnxruntimeNodeBackend } from './onnxruntime-node.ts';

let dir: string;
let model: ClassifierModel;
let server: ModelServer;
let api: InferenceApi;
let health: HealthReport = { ready: false, checks: { models: { ok: false, detail: 'restoring installed models' } } };
let now = new Date('2026-01-01T00:00:00Z');
const locks = new LockBook({ now: () => now });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgefleet-api-'));
  model = await writeClassifierModel(join(dir, 'm.onnx'), { seed: 4 });
  server = new ModelServer({
    backends: [new OnnxruntimeNodeBackend({ accelerators: [], log: () => {} })],
    log: () => {},
  });
  api = await startInferenceApi({ server, locks, port: 0, health: () => health, maxBodyBytes: 64 * 1024 });
});
afterAll(async () => {
  await api.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${api.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};

const x = Array.from(seededInputs(9, 2, 4));
const good = { inputs: [{ name: 'x', shape: [2, 4], datatype: 'FP32', data: x }] };

describe('inference API: health and metadata', () => {
  it('is live at once and ready only when the agent says so', async () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await call('GET', '/v2/health/live')).toEqual({ status: 200, body: { live: true } });
    expect(await call('GET', '/v2/health/ready')).toEqual({ status: 503, body: health });
    expect((await call('GET', '/v2/models/classifier')).status).toBe(404);
    expect(await call('GET', '/v2/models/classifier/ready')).toEqual({
      status: 404,
      body: { error: 'model "classifier" is not being served' },
    });

    const prepared = await server.prepare(
      'classifier',
      '1.2.0',
      model.file,
      classifierTarget(model, { version: '1.2.0' }),
    );
    await server.activate('classifier', prepared);
    health = { ready: true, checks: { models: { ok: true } } };
    expect(await call('GET', '/v2/health/ready')).toEqual({ status: 200, body: health });
    expect(await call('GET', '/v2/models/classifier/ready')).toEqual({
      status: 200,
      body: { name: 'classifier', ready: true },
    });
    expect((await call('GET', '/v2')).body).toMatchObject({ name: 'edgefleet-agent', extensions: [] });
  });

  it('describes a served model in OIP terms', async () => {
    expect(await call('GET', '/v2/models/classifier')).toEqual({
      status: 200,
      body: {
        name: 'classifier',
        versions: ['1.2.0'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
        outputs: [{ name: 'scores', datatype: 'FP32', shape: [-1, 3] }],
      },
    });
    expect((await call('GET', '/v2/models/classifier/versions/1.2.0')).status).toBe(200);
    expect(await call('GET', '/v2/models/classifier/versions/9.9.9')).toEqual({
      status: 404,
      body: { error: 'model "classifier" version 9.9.9 is not being served (serving 1.2.0)' },
    });
  });
});

describe('inference API: infer', () => {
  it('answers with the outputs, the model and the version', async () => {
    const { status, body } = await call('POST', '/v2/models/classifier/infer', { id: 'req-1', ...good });
    expect(status).toBe(200);
    expect(body).toMatchObject({ model_name: 'classifier', model_version: '1.2.0', id: 'req-1' });
    expect(body.outputs).toHaveLength(1);
    expect(body.outputs[0]).toMatchObject({ name: 'scores', datatype: 'FP32', shape: [2, 3] });
    const want = model.predict(Float32Array.from(x), 2);
    (body.outputs[0].data as number[]).forEach((v, i) => {
      expect(v).toBeCloseTo(want[i] as number, 5);
    });
    // Nested data is row-major too; the versioned path and an output filter work.
    const nested = {
      inputs: [{ ...good.inputs[0], data: [x.slice(0, 4), x.slice(4)] }],
      outputs: [{ name: 'scores' }],
    };
    const again = await call('POST', '/v2/models/classifier/versions/1.2.0/infer', nested);
    expect(again.body.outputs[0].data).toEqual(body.outputs[0].data);
  });

  it.each([
    ['bad JSON', '{"inputs": [', /^invalid JSON: /],
    ['a body that is not a request', { inputs: 'x' }, /^invalid inference request: inputs: /],
    ['no inputs', { inputs: [] }, /^invalid inference request: inputs: /],
    [
      'an unknown input',
      { inputs: [{ ...good.inputs[0], name: 'image' }] },
      /^unknown input "image"; model "classifier" takes x \(FP32 \[-1, 4\]\)$/,
    ],
    ['an input given twice', { inputs: [{ ...good.inputs[0] }, { ...good.inputs[0] }] }, /^input "x" is given twice$/],
    [
      'a wrong datatype',
      { inputs: [{ ...good.inputs[0], datatype: 'INT64', data: [1, 2, 3, 4, 5, 6, 7, 8] }] },
      /^input "x": datatype INT64, but the model takes FP32$/,
    ],
    [
      'an unknown datatype',
      { inputs: [{ ...good.inputs[0], datatype: 'FLOAT' }] },
      /^input "x": unknown datatype FLOAT$/,
    ],
    [
      'a wrong shape',
      { inputs: [{ ...good.inputs[0], shape: [4, 2] }] },
      /^input "x" has shape \[4, 2\]; the model expects \[batch, 4\]$/,
    ],
    [
      'a wrong rank',
      { inputs: [{ ...good.inputs[0], shape: [8] }] },
      /^input "x" has shape \[8\]; the model expects \[batch, 4\]$/,
    ],
    [
      'too few values for the shape',
      { inputs: [{ ...good.inputs[0], data: x.slice(0, 7) }] },
      /^input "x": 7 values for shape \[2, 4\], which holds 8$/,
    ],
    [
      'a value of the wrong type',
      { inputs: [{ ...good.inputs[0], data: [...x.slice(0, 7), 'one'] }] },
      /^input "x": value "one" at index 7 is not FP32$/,
    ],
    [
      'an unknown output',
      { ...good, outputs: [{ name: 'probs' }] },
      /^unknown output "probs"; model "classifier" gives scores \(FP32 \[-1, 3\]\)$/,
    ],
  ])('400 for %s', async (_, body, message) => {
    const res = await call('POST', '/v2/models/classifier/infer', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(message);
  });

  it('404 for an unknown model or path, 405 for a wrong method', async () => {
    expect(await call('POST', '/v2/models/detector/infer', good)).toEqual({
      status: 404,
      body: { error: 'model "detector" is not being served' },
    });
    expect((await call('GET', '/v2/models/classifier/infer')).status).toBe(405);
    expect((await call('GET', '/v3/anything')).status).toBe(404);
    expect((await call('GET', '/v2/models/classifier/explain')).status).toBe(404);
  });

  it('413 for a body over the limit, declared or streamed, and keeps serving', async () => {
    const big = JSON.stringify({ inputs: [{ ...good.inputs[0], data: new Array(20_000).fill(0.5) }] });
    const declared = await call('POST', '/v2/models/classifier/infer', big);
    expect(declared).toEqual({ status: 413, body: { error: 'the body is over 65536 bytes' } });
    // Chunked: no content-length, so the limit is enforced while reading.
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${api.url}/v2/models/classifier/infer`, { method: 'POST' }, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      for (let i = 0; i < big.length; i += 8192) req.write(big.slice(i, i + 8192));
      req.end();
    });
    expect(streamed.status).toBe(413);
    expect((await call('POST', '/v2/models/classifier/infer', good)).status).toBe(200);
  });
});

describe('update locks API', () => {
  it('acquires, lists, expires and releases locks', async () => {
    expect(await call('GET', '/v1/locks')).toEqual({ status: 200, body: { held: false, locks: [] } });
    const a = await call('POST', '/v1/locks', { holder: 'camera-app', ttlSeconds: 60 });
    expect(a).toEqual({
      status: 201,
      body: {
        id: expect.any(String),
        holder: 'camera-app',
        acquiredAt: '2026-01-01T00:00:00.000Z',
        expiresAt: '2026-01-01T00:01:00.000Z',
      },
    });
    const b = await call('POST', '/v1/locks', { holder: 'recorder' });
    expect(b.body.expiresAt).toBe('2026-01-01T01:00:00.000Z');
    expect(locks.held()).toBe(true);
    expect((await call('GET', '/v1/locks')).body.locks.map((l: { holder: string }) => l.holder)).toEqual([
      'camera-app',
      'recorder',
    ]);
    now = new Date('2026-01-01T00:01:00Z'); // camera-app's expires
    expect((await call('GET', '/v1/locks')).body.locks.map((l: { holder: string }) => l.holder)).toEqual(['recorder']);
    expect((await call('DELETE', `/v1/locks/${a.body.id}`)).status).toBe(404);
    expect((await call('DELETE', `/v1/locks/${b.body.id}`)).status).toBe(204);
    expect(locks.held()).toBe(false);
  });

  it('refuses bad lock requests', async () => {
    expect((await call('POST', '/v1/locks', { ttlSeconds: 5 })).status).toBe(400);
    expect((await call('POST', '/v1/locks', { holder: 'x', ttlSeconds: 999_999 })).body).toEqual({
      error: 'ttlSeconds must be an integer 1-86400',
    });
    expect((await call('POST', '/v1/locks', '{')).status).toBe(400);
    expect((await call('PUT', '/v1/locks')).status).toBe(405);
  });
});
