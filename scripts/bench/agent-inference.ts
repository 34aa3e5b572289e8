import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockBook, startInferenceApi } from '@edgefleet/agent/inference/http-api';
import { ModelServer } from '@edgefleet/agent/inference/model-server';
import { OnnxruntimeNodeBackend } from '@edgefleet/agent/inference/onnxruntime-node';
import { classifierTarget, seededInputs, writeClassifierModel } from '@edgefleet/agent/testing/models';
import * as ort from 'onnxruntime-node';
import type { BenchResult, Measurement } from './lib.ts';

const FEATURES = 64;
const CLASSES = 10;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

/** Milliseconds per call of `fn`, called `count` times one after another after `warmup` unmeasured calls. */
async function latencies(fn: () => Promise<unknown>, warmup: number, count: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await fn();
    ms.push(performance.now() - started);
  }
  return ms.sort((a, b) => a - b);
}

/** POSTs `body` over one kept-alive connection and resolves with the parsed JSON answer. */
function post(agent: Agent, url: URL, body: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`HTTP ${res.statusCode}: ${text}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const agentInference = {
  name: 'agent inference overhead',
  async run({ smoke }: { smoke: boolean }): Promise<BenchResult> {
    const warmup = smoke ? 20 : 300;
    const count = smoke ? 50 : 2000;
    const rounds = smoke ? 1 : 3;
    const dir = mkdtempSync(join(tmpdir(), 'ef-bench-infer-'));
    const file = join(dir, 'classifier.onnx');
    const model = await writeClassifierModel(file, { inFeatures: FEATURES, classes: CLASSES, seed: 7 });
    const log = () => {};
    const server = new ModelServer({ backends: [new OnnxruntimeNodeBackend({ accelerators: [], log })], log });
    const api = await startInferenceApi({ server, locks: new LockBook(), port: 0, log });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // The same binding the agent's backend loads, with the options it passes, in the same process.
    const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], logSeverityLevel: 3 });
    try {
      await server.activate(
        'classifier',
        await server.prepare('classifier', '1.0.0', file, classifierTarget(model, {})),
      );
      const x = seededInputs(11, 1, FEATURES);
      const url = new URL('/v2/models/classifier/infer', api.url);
      // What a local application does per request: serialise its input, parse the answer.
      const viaHttp = () =>
        post(
          agent,
          url,
          JSON.stringify({ inputs: [{ name: 'x', shape: [1, FEATURES], datatype: 'FP32', data: [...x] }] }),
        );
      const direct = () => session.run({ x: new ort.Tensor('float32', x, [1, FEATURES]) });

      const answer = (await viaHttp()) as { outputs: { name: string; data: number[] }[] };
      const expected = (await direct()).scores?.data as Float32Array;
      const got = answer.outputs.find((o) => o.name === 'scores')?.data ?? [];
      if (got.length !== CLASSES || got.some((v, i) => Math.abs(v - (expected[i] as number)) > 1e-6)) {
        throw new Error(`the API answered ${JSON.stringify(got)}, session.run ${[...expected].join(',')}`);
      }

      const httpP50: Measurement = { name: 'HTTP API p50', unit: 'ms', runs: [] };
      const httpP95: Measurement = { name: 'HTTP API p95', unit: 'ms', runs: [] };
      const directP95: Measurement = { name: 'session.run p95', unit: 'ms', runs: [] };
      const overhead: Measurement = { name: 'overhead p50 (HTTP − session.run)', unit: 'ms', runs: [] };
      const reference: Measurement = { name: 'session.run p50', unit: 'ms', runs: [] };
      for (let i = 0; i < rounds; i++) {
        const d = await latencies(direct, warmup, count);
        const h = await latencies(viaHttp, warmup, count);
        httpP50.runs.push(percentile(h, 50));
        httpP95.runs.push(percentile(h, 95));
        directP95.runs.push(percentile(d, 95));
        reference.runs.push(percentile(d, 50));
        overhead.runs.push(percentile(h, 50) - percentile(d, 50));
      }
      return {
        title: `Agent inference: KServe v2 HTTP API vs onnxruntime-node session.run (${count.toLocaleString('en-US')} sequential requests)`,
        command: smoke ? 'npm run bench -- --smoke' : 'npm run bench',
        measurements: [overhead, httpP50, httpP95, directP95],
        reference,
        ratioOf: httpP50.name,
        notes: [
          `Model: Softmax(x·W + b), ${FEATURES} float32 features → ${CLASSES} classes, batch 1, generated locally (writeClassifierModel); CPU execution provider.`,
          `Each round: ${warmup} unmeasured calls, then ${count.toLocaleString('en-US')} measured one after another, first session.run on its own session, then POST /v2/models/classifier/infer to startInferenceApi + ModelServer over one keep-alive connection; ${rounds} round(s).`,
          'The HTTP figure is what a local application waits for: its JSON encoding of the input and parsing of the answer included. Client and server share one process and event loop, as the reference does.',
          'Target (the issue): overhead under 1 ms at p50.',
        ],
      };
    } finally {
      agent.destroy();
      await api.close();
      await server.close();
      await session.release();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
