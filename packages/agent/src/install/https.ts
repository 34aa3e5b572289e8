import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import type { DataDir } from '../data-dir.ts';
import { errorMessage } from '../errors.ts';

/** The device's mTLS material: the pinned CA chain, its certificate and key. */
export interface DeviceTls {
  ca: string;
  cert: string;
  key: string;
}

/** Read at each use, so a renewed certificate is picked up without a restart. */
export type TlsSource = () => Promise<DeviceTls>;

export const dataDirTls =
  (dataDir: DataDir): TlsSource =>
  async () => {
    const [ca, cert, key] = await Promise.all([dataDir.require('ca'), dataDir.require('cert'), dataDir.require('key')]);
    return { ca, cert, key };
  };

/** Network trouble (refused, reset, TLS, no answer in time): worth retrying. */
export class TransportError extends Error {}

/**
 * GET over mTLS, verified against the pinned chain. Resolves with the response as soon as its
 * head arrives (the caller reads or discards the body); a socket idle for `idleTimeoutMs`, before
 * or during the body, is destroyed.
 */
export function httpsGet(
  url: URL,
  opts: { tls: DeviceTls; headers?: Record<string, string>; signal?: AbortSignal; idleTimeoutMs?: number },
): Promise<IncomingMessage> {
  const idle = opts.idleTimeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        ca: opts.tls.ca,
        cert: opts.tls.cert,
        key: opts.tls.key,
        rejectUnauthorized: true,
        timeout: idle,
        signal: opts.signal,
        headers: { accept: '*/*', ...opts.headers },
      },
      resolve,
    );
    req.on('timeout', () => req.destroy(new TransportError(`no data from ${url.origin} for ${idle / 1000}s`)));
    req.on('error', (e) => {
      if ((e as { name?: string }).name === 'AbortError' || e instanceof TransportError) return reject(e);
      reject(new TransportError(`cannot reach ${url.origin}: ${errorMessage(e)}`));
    });
    req.end();
  });
}

/** Reads a whole (small) body; refuses one longer than `max` bytes. */
export async function readBody(res: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      res.destroy();
      throw new Error(`answer longer than ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
