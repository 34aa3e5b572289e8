import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { AGENT_VERSION } from '../facts.ts';
import type { Log } from '../runtime.ts';
import { InferenceError, type InferenceErrorCode } from './errors.ts';
import { LockBook, LockError } from './locks.ts';
import type { ModelServer, ServedModel } from './model-server.ts';
import { describeOip, oipDatatype, oipShape, tensorFromOip, tensorToOip, ZInferRequest } from './oip.ts';
import type { Tensor } from './tensor.ts';

export interface HealthReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface InferenceApiOptions {
  server: ModelServer;
  locks: LockBook;
  host?: string;
  port?: number;
  /** What /v2/health/ready reports; by default the model server's readiness alone. */
  health?: () => HealthReport | Promise<HealthReport>;
  /** Largest request body (default 16 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  log?: Log;
}

export interface InferenceApi {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS: Record<InferenceErrorCode, number> = {
  bad_input: 400,
  not_found: 404,
  unavailable: 503,
  backend: 500,
  no_backend: 500,
  bad_artifact: 500,
  smoke_test: 500,
};

const PLATFORM: Record<ServedModel['runtime'], string> = {
  onnx: 'onnxruntime_onnx',
  tflite: 'tensorflow_lite',
  tensorrt: 'tensorrt_plan',
  openvino: 'openvino_ir',
  coreml: 'coreml',
};

const ZLockRequest = z.object({
  holder: z.string().min(1).max(128),
  ttlSeconds: z.number().int().positive().optional(),
});

/**
 * The agent's local API on 127.0.0.1: the Open Inference Protocol (KServe v2 REST) over the
 * ModelServer, and update locks. Local applications are trusted to the extent of their uid on
 * this machine: nothing here is reachable from the network unless `host` says so.
 */
export async function startInferenceApi(opts: InferenceApiOptions): Promise<InferenceApi> {
  const { server: models, locks, host = '127.0.0.1', port = 7070, maxBodyBytes = 16 * 1024 * 1024 } = opts;
  const health = opts.health ?? (() => ({ ready: models.ready(), checks: { models: { ok: models.ready() } } }));

  const served = (name: string, version: string | undefined) => {
    const m = models.describe(name);
    if (!m) throw new HttpError(404, `model "${name}" is not being served`);
    if (version !== undefined && version !== m.version) {
      throw new HttpError(404, `model "${name}" version ${version} is not being served (serving ${m.version})`);
    }
    return m;
  };

  const metadata = (m: ServedModel) => ({
    name: m.model,
    versions: [m.version],
    platform: PLATFORM[m.runtime],
    inputs: m.inputs.map((t) => ({ name: t.name, datatype: oipDatatype(t.dtype), shape: oipShape(t.shape) })),
    outputs: m.outputs.map((t) => ({ name: t.name, datatype: oipDatatype(t.dtype), shape: oipShape(t.shape) })),
  });

  async function infer(req: IncomingMessage, name: string, version: string | undefined) {
    const m = served(name, version);
    const body = await readJson(req, maxBodyBytes);
    const parsed = ZInferRequest.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, `invalid inference request: ${issue?.path.join('.') || 'body'}: ${issue?.message}`);
    }
    const request = parsed.data;
    const feeds: Record<string, Tensor> = {};
    for (const input of request.inputs) {
      const spec = m.inputs.find((s) => s.name === input.name);
      if (!spec) {
        throw new HttpError(
          400,
          `unknown input "${input.name}"; model "${name}" takes ${m.inputs.map(describeOip).join(', ')}`,
        );
      }
      if (feeds[input.name]) throw new HttpError(400, `input "${input.name}" is given twice`);
      feeds[input.name] = tensorFromOip(input, spec);
    }
    const wanted = request.outputs?.map((o) => o.name);
    for (const o of wanted ?? []) {
      if (!m.outputs.some((s) => s.name === o)) {
        throw new HttpError(
          400,
          `unknown output "${o}"; model "${name}" gives ${m.outputs.map(describeOip).join(', ')}`,
        );
      }
    }
    const result = await models.infer(name, feeds);
    return {
      model_name: name,
      model_version: result.version,
      ...(request.id === undefined ? {} : { id: request.id }),
      outputs: Object.entries(result.outputs)
        .filter(([n]) => !wanted || wanted.includes(n))
        .map(([n, t]) => tensorToOip(n, t)),
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://agent').pathname;
    let parts: string[];
    try {
      parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new HttpError(400, 'malformed path');
    }
    const only = (...allowed: string[]) => {
      if (!allowed.includes(method)) {
        res.setHeader('allow', allowed.join(', '));
        throw new HttpError(405, `${method} is not allowed here`);
      }
    };
    const [a, b, c, d, e, f] = parts;
    if (a === 'v2' && parts.length === 1) {
      only('GET');
      return send(res, 200, { name: 'edgefleet-agent', version: AGENT_VERSION, extensions: [] });
    }
    if (a === 'v2' && b === 'health' && parts.length === 3 && (c === 'live' || c === 'ready')) {
      only('GET');
      if (c === 'live') return send(res, 200, { live: true });
      const h = await health();
      return send(res, h.ready ? 200 : 503, h);
    }
    if (a === 'v2' && b === 'models' && c) {
      // /v2/models/{name}[/versions/{version}][/ready|/infer]
      const versioned = d === 'versions' && e !== undefined;
      const version = versioned ? e : undefined;
      const action = versioned ? f : d;
      if (parts.length !== 3 + (versioned ? 2 : 0) + (action === undefined ? 0 : 1)) {
        throw new HttpError(404, 'no such endpoint');
      }
      if (action === undefined) {
        only('GET');
        return send(res, 200, metadata(served(c, version)));
      }
      if (action === 'ready') {
        only('GET');
        return send(res, 200, { name: c, ready: served(c, version) !== undefined });
      }
      if (action === 'infer') {
        only('POST');
        return send(res, 200, await infer(req, c, version));
      }
    }
    if (a === 'v1' && b === 'locks' && parts.length === 2) {
      only('GET', 'POST');
      if (method === 'GET') return send(res, 200, { held: locks.held(), locks: locks.list() });
      const parsed = ZLockRequest.safeParse(await readJson(req, 64 * 1024));
      if (!parsed.success) throw new HttpError(400, `body must be { holder: string, ttlSeconds?: integer }`);
      return send(res, 201, locks.acquire(parsed.data.holder, parsed.data.ttlSeconds));
    }
    if (a === 'v1' && b === 'locks' && c && parts.length === 3) {
      only('DELETE');
      if (!locks.release(c)) throw new HttpError(404, `no update lock ${c} is held`);
      res.writeHead(204).end();
      return;
    }
    throw new HttpError(404, 'no such endpoint');
  }

  const server = createServer({ requestTimeout: 60_000 }, (req, res) => {
    route(req, res).catch((err: unknown) => {
      const status =
        err instanceof HttpError
          ? err.status
          : err instanceof InferenceError
            ? STATUS[err.code]
            : err instanceof LockError
              ? err.code === 'full'
                ? 429
                : 400
              : 500;
      if (status === 500) opts.log?.(`inference API: ${req.method} ${req.url}: ${(err as Error).message}`);
      if (status === 413) {
        // The rest of the body is not read: close the connection once the answer is out.
        res.setHeader('connection', 'close');
        res.on('finish', () => req.destroy());
      }
      send(res, status, { error: (err as Error).message });
    });
  });
  server.listen(port, host);
  await once(server, 'listening');
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    port: actual,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Reads at most `limit` bytes. Past it, the rest is drained and dropped rather than the socket
 * destroyed, so the 413 still reaches the client.
 */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const tooLarge = () => new HttpError(413, `the body is over ${limit} bytes`);
  if (Number(req.headers['content-length']) > limit) {
    req.resume();
    throw tooLarge();
  }
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new HttpError(400, `invalid JSON: ${(e as Error).message}`);
  }
}

export { LockBook };
