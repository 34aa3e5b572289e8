/**
 * The dashboard's HTTP server: Next.js behind a plain Node server, so the client's address
 * comes from the socket (a header the client sends cannot spoof it) and shutdown is ours.
 * Started by the launcher (scripts/start.ts); `--dev` runs Next's hot-reloading dev server.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { loadEnv } from '@edgefleet/config/env';
import { exitWithLauncher } from '@edgefleet/config/supervision';
import next from 'next';

const CLIENT_IP_HEADER = 'x-edgefleet-client-ip';
const dev = process.argv.includes('--dev');
const env = loadEnv();
const dir = fileURLToPath(new URL('.', import.meta.url));

function clientIp(req: IncomingMessage): string {
  if (env.EDGEFLEET_TRUST_PROXY) {
    const forwarded = req.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

const app = next({ dev, dir, hostname: env.EDGEFLEET_BIND, port: env.PORT });
await app.prepare();
const handle = app.getRequestHandler();

const server = createServer((req, res) => {
  req.headers[CLIENT_IP_HEADER] = clientIp(req);
  handle(req, res).catch((e: unknown) => {
    console.error('[web] request failed:', e);
    if (!res.headersSent) res.writeHead(500).end('Internal server error');
  });
});
server.listen(env.PORT, env.EDGEFLEET_BIND, () => {
  console.log(`[web] listening on http://${env.EDGEFLEET_BIND}:${env.PORT}${dev ? ' (dev)' : ''}`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  // In-flight requests get a few seconds; then we go regardless.
  setTimeout(() => process.exit(0), 5000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
exitWithLauncher(shutdown, env.EDGEFLEET_LAUNCHER_PID);
