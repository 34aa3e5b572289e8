import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { CliError } from '../context.ts';

/** sha256 and size of a file, read once as a stream (a 2 GB model never sits in memory). */
export async function hashFile(path: string): Promise<{ sha256: string; length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), length };
}

/** A bar on a terminal; plain "uploaded N%" lines (every 10%) in CI logs. Always on stderr. */
export function progressReporter(total: number, enabled: boolean): { update(sent: number): void; done(): void } {
  const tty = Boolean(process.stderr.isTTY);
  let lastPercent = -1;
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  return {
    update(sent) {
      if (!enabled) return;
      const percent = total === 0 ? 100 : Math.floor((sent / total) * 100);
      if (tty) {
        const width = 30;
        const filled = Math.round((percent / 100) * width);
        process.stderr.write(
          `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}% ${mb(sent)}/${mb(total)} MB`,
        );
      } else if (percent >= lastPercent + 10 || (percent === 100 && lastPercent !== 100)) {
        process.stderr.write(`uploaded ${percent}%\n`);
        lastPercent = percent;
      }
    },
    done() {
      if (enabled && tty) process.stderr.write('\n');
    },
  };
}

/** The server's `{ error, message }` body as one line, whatever it sent. */
export async function httpError(res: Response, what: string): Promise<CliError> {
  const text = await res.text().catch(() => '');
  let message = text.trim().slice(0, 300) || res.statusText;
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch {}
  return new CliError(`${what} refused (${res.status}): ${message}`);
}

/**
 * PUTs the file as a stream, counting bytes as they leave for the progress display. node:http
 * rather than fetch: undici's fetch kept every chunk of a streamed request body alive until the
 * request finished (400 MB file → 440 MB of ArrayBuffers), while pipeline() holds one chunk.
 */
export async function uploadFile(
  url: string,
  path: string,
  headers: Record<string, string>,
  onProgress: (sent: number) => void,
): Promise<unknown> {
  const { size } = await stat(path);
  const target = new URL(url);
  const request = (target.protocol === 'https:' ? https : http).request(target, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(size) },
  });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  let sent = 0;
  file.on('data', (chunk) => {
    sent += chunk.length;
    onProgress(sent);
  });
  // The server may answer (and close) before taking every byte, e.g. a refusal: its answer wins.
  const upload = pipeline(file, request).catch((e: unknown) => e);
  const res = await response;
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  await upload;
  const text = Buffer.concat(chunks).toString('utf8');
  if (!res.statusCode || res.statusCode >= 300) {
    throw await httpError(new Response(text, { status: res.statusCode ?? 500 }), 'upload');
  }
  return JSON.parse(text);
}
