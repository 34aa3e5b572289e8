/**
 * `npm start` (and `npm run dev` with --dev): the whole control plane on one machine.
 * Builds the dashboard if needed, opens the embedded database (unless DATABASE_URL is set),
 * applies migrations, makes the first admin, starts web and gateway as child processes and
 * stops them all cleanly on Ctrl-C / SIGTERM.
 *
 * Crash safety: the embedded database is PostgreSQL with a WAL, so a killed launcher leaves
 * a data dir that the next start recovers; the data-dir lock refuses a second launcher.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError, findRepoRoot, loadEnv } from '@edgefleet/config/env';
import { loadOrCreateSecret } from '@edgefleet/config/secrets';
import { ensureInitialAdmin } from '@edgefleet/core/bootstrap';
import { loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { createDb } from '@edgefleet/db/client';
import { type EmbeddedDatabase, startEmbeddedDatabase } from '@edgefleet/db/embedded';
import { migrateDatabase } from '@edgefleet/db/migrate';
import { webBuildStaleReason } from './lib/build-check.ts';

const dev = process.argv.includes('--dev');
const root = findRepoRoot();
const log = (msg: string) => console.log(`[edgefleet] ${msg}`);

function fail(msg: string): never {
  console.error(`[edgefleet] error: ${msg}`);
  process.exit(1);
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function waitFor(url: string, timeoutMs: number, child: ChildProcess, insecure = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with code ${child.exitCode}`);
    try {
      const res = insecure ? await fetchInsecure(url) : await fetch(url);
      if (res === 200 || (typeof res === 'object' && res.ok)) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not become ready within ${timeoutMs / 1000}s`);
}

/** The gateway's certificate is self-signed until the fleet CA exists; only its liveness matters here. */
async function fetchInsecure(url: string): Promise<number> {
  const https = await import('node:https');
  return new Promise((resolve, reject) => {
    https
      .get(url, { rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

async function main() {
  let env: ReturnType<typeof loadEnv>;
  try {
    env = loadEnv();
  } catch (e) {
    fail(e instanceof ConfigError ? e.message : String(e));
  }
  const dataDir = env.EDGEFLEET_DATA_DIR;

  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    try {
      embedded = await startEmbeddedDatabase({ dataDir });
    } catch (e) {
      fail(e instanceof Error ? e.message : String(e));
    }
    databaseUrl = embedded.url;
    log(`embedded database in ${join(dataDir, 'pgdata')}`);
  } else {
    log(`database: ${databaseUrl.replace(/\/\/[^@]*@/, '//***@')}`);
  }

  if (!dev) {
    const reason = webBuildStaleReason(root);
    if (reason) {
      log(`building the dashboard (${reason}); this takes about a minute…`);
      const code = await run(process.execPath, [join(root, 'node_modules/next/dist/bin/next'), 'build', 'apps/web'], {
        ...process.env,
        NEXT_TELEMETRY_DISABLED: '1',
      });
      if (code !== 0) {
        await embedded?.close();
        fail('the dashboard build failed (see above)');
      }
    }
  }

  try {
    const { applied } = await migrateDatabase({ url: databaseUrl });
    if (applied.length) log(`applied migrations: ${applied.join(', ')}`);
  } catch (e) {
    await embedded?.close();
    fail(`migrations failed: ${e instanceof Error ? e.message : String(e)}`);
  }

  // Made once here, before the children start, so they read the same secret and CA.
  const secret = loadOrCreateSecret(dataDir, env.EDGEFLEET_SECRET);
  const db = createDb({ url: databaseUrl, maxConnections: 2 });
  let fingerprint: string;
  try {
    ({ fingerprint } = await loadOrCreateFleetPki(db, { secret, publicHost: env.EDGEFLEET_PUBLIC_HOST }));
  } catch (e) {
    await db.$disconnect();
    await embedded?.close();
    fail(`fleet CA: ${e instanceof Error ? e.message : String(e)}`);
  }
  const admin = await ensureInitialAdmin(db, {
    dataDir,
    email: env.EDGEFLEET_ADMIN_EMAIL,
    password: env.EDGEFLEET_ADMIN_PASSWORD,
  });
  await db.$disconnect();

  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    EDGEFLEET_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    EDGEFLEET_EMBEDDED_DB: embedded ? '1' : '0',
    NODE_ENV: dev ? 'development' : 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    EDGEFLEET_LAUNCHER_PID: String(process.pid),
  };
  const tsx = ['--import', 'tsx'];
  const children: ChildProcess[] = [
    spawn(process.execPath, [...tsx, join(root, 'apps/web/server.ts'), ...(dev ? ['--dev'] : [])], {
      cwd: root,
      env: childEnv,
      stdio: 'inherit',
    }),
    spawn(process.execPath, [...(dev ? ['--watch'] : []), ...tsx, join(root, 'apps/gateway/src/main.ts')], {
      cwd: root,
      env: childEnv,
      stdio: 'inherit',
    }),
  ];
  const [web, gateway] = children as [ChildProcess, ChildProcess];

  let stopping = false;
  async function stop(code: number) {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
    await embedded?.close();
    log('stopped');
    process.exit(code);
  }
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  for (const c of children) {
    c.on('exit', (code, signal) => {
      if (stopping) return;
      console.error(`[edgefleet] a child process exited (${signal ?? `code ${code}`}); stopping everything`);
      void stop(1);
    });
  }

  const local = `http://127.0.0.1:${env.PORT}`;
  try {
    await Promise.all([
      waitFor(`${local}/api/health`, 180_000, web),
      waitFor(`https://127.0.0.1:${env.EDGEFLEET_DEVICE_PORT}/healthz`, 60_000, gateway, true),
    ]);
  } catch (e) {
    console.error(`[edgefleet] error: ${e instanceof Error ? e.message : String(e)}`);
    return stop(1);
  }
  log(`dashboard:     ${env.publicUrl}`);
  log(`device HTTPS:  https://${env.EDGEFLEET_PUBLIC_HOST}:${env.EDGEFLEET_DEVICE_PORT}`);
  log(`device MQTT:   mqtts://${env.EDGEFLEET_PUBLIC_HOST}:${env.EDGEFLEET_MQTT_PORT}`);
  const gatewayMetrics = `http://${env.EDGEFLEET_METRICS_BIND}:${env.EDGEFLEET_METRICS_PORT}/metrics`;
  log(`metrics:       ${env.publicUrl}/metrics${env.EDGEFLEET_METRICS_PORT ? `, gateway ${gatewayMetrics}` : ''}`);
  log(`fleet CA:      sha256 ${fingerprint} (pin on devices with --ca-fingerprint)`);
  log(`data dir:      ${dataDir}`);
  if (admin.created && admin.passwordFile) log(`first admin ${admin.email}: password in ${admin.passwordFile}`);
  else if (admin.created) log(`first admin ${admin.email} created from EDGEFLEET_ADMIN_EMAIL/PASSWORD`);
  log('ready — press Ctrl-C to stop');
}

void main();
