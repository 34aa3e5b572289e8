import type { IncomingMessage, ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Every error body is `{ error, message }` (ZErrorBody). */
export function sendError(res: ServerResponse, status: number, error: string, message: string, close = false) {
  // After refusing a body we did not read, the connection cannot carry another request.
  sendJson(res, status, { error, message }, close ? { connection: 'close' } : {});
}

/** The peer address as the audit log records it (IPv4-mapped IPv6 shortened). */
export function clientIp(req: IncomingMessage): string | null {
  const ip = req.socket.remoteAddress;
  return ip ? ip.replace(/^::ffff:/, '') : null;
}
