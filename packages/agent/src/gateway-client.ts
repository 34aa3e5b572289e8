import { request } from 'node:https';
import { ZErrorBody } from '@edgefleet/protocol/device';
import type { z } from 'zod';
import { AgentError, errorMessage } from './errors.ts';

export interface GatewayTls {
  /** The pinned CA chain; every call is verified against it (hostname included). */
  ca?: string;
  /** mTLS: the device certificate and key, once it has them. */
  cert?: string;
  key?: string;
  /** Only for fetching the CA before it can be pinned. */
  insecure?: boolean;
}

/** The gateway answered with an error status; `retryable` for overload and server faults. */
export class GatewayError extends AgentError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** The gateway could not be reached or the TLS handshake failed; worth retrying. */
export class GatewayUnreachable extends AgentError {}

const TLS_HINT = /certificate|self[- ]signed|verify|altname|ERR_TLS/i;

/** Small HTTPS JSON client for the device endpoints (/v1/...) of the gateway. */
export class GatewayClient {
  constructor(
    readonly base: URL,
    private readonly tls: GatewayTls,
    private readonly timeoutMs = 30_000,
  ) {
    if (base.protocol !== 'https:') throw new AgentError(`--server must be an https:// URL, not ${base.href}`, 2);
  }

  async getText(path: string): Promise<string> {
    const res = await this.send('GET', path);
    if (res.status >= 300) throw this.failure(res.status, res.body);
    return res.body;
  }

  async postJson<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.infer<S>> {
    const res = await this.send('POST', path, JSON.stringify(body));
    if (res.status >= 300) throw this.failure(res.status, res.body);
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      throw new AgentError(`${this.base.origin}${path} answered with something that is not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new AgentError(`${this.base.origin}${path} answered unexpectedly: ${parsed.error.issues[0]?.message}`);
    }
    return parsed.data;
  }

  private failure(status: number, text: string): GatewayError {
    let body: z.infer<typeof ZErrorBody> | undefined;
    try {
      const parsed = ZErrorBody.safeParse(JSON.parse(text));
      if (parsed.success) body = parsed.data;
    } catch {}
    const message = body?.message ?? (text.trim().slice(0, 200) || `HTTP ${status}`);
    return new GatewayError(
      `server refused (${status}${body ? ` ${body.error}` : ''}): ${message}`,
      status,
      body?.error ?? 'http',
    );
  }

  private send(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
    const url = new URL(path, this.base);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.tls.ca,
          cert: this.tls.cert,
          key: this.tls.key,
          rejectUnauthorized: !this.tls.insecure,
          timeout: this.timeoutMs,
          headers: body
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
            : { accept: '*/*' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs / 1000}s`)));
      req.on('error', (e) => {
        const msg = errorMessage(e);
        const hint = TLS_HINT.test(msg) ? ' (the server certificate does not verify against the pinned CA)' : '';
        reject(new GatewayUnreachable(`cannot reach ${url.origin}: ${msg}${hint}`));
      });
      req.end(body);
    });
  }
}
