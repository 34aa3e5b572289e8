/** Real servers for integration tests: free ports, Debian's Mosquitto, gateway processes. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MOSQUITTO = '/usr/sbin/mosquitto';
export const mosquittoInstalled = () => existsSync(MOSQUITTO);

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer()
      .once('error', reject)
      .listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
  });

export const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = tcpConnect(port, '127.0.0.1', () => s.end(() => resolve(true))).on('error', () => resolve(false));
  });

/** A child process with its output kept for error messages. */
export interface Running {
  child: ChildProcess;
  output(): string;
  /** Resolves once the process has exited (at once if it already has). */
  exited(): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function run(command: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string): Running {
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    // Tests read logs back (Mosquitto's, say), so keep plenty; the tail is what errors show.
    out = (out + d.toString()).slice(-1_000_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exit = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
  });
  return {
    child,
    output: () => out,
    exited: () => exit,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exit;
    },
  };
}

/** Waits for a TCP port to accept connections, failing loudly if the process died first. */
export async function waitForPort(port: number, proc: Running, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`${what} exited before listening on ${port}:\n${proc.output()}`);
    }
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on ${port} within ${timeoutMs / 1000} s:\n${proc.output()}`);
}

export const startMosquitto = (conf: string) => run(MOSQUITTO, ['-c', conf]);

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Mosquitto behind infra/compose/mosquitto-entrypoint.sh, as compose runs it: the script sends
 * SIGHUP (Mosquitto reloads its CRL) when the CRL file changes, polling every `pollSeconds`.
 */
export const startMosquittoWithCrlReload = (conf: string, pollSeconds: number) =>
  run('/bin/sh', [join(repoRoot, 'infra/compose/mosquitto-entrypoint.sh')], {
    ...process.env,
    PATH: `/usr/sbin:${process.env.PATH ?? ''}`,
    MOSQUITTO_CONF: conf,
    CRL_POLL_SECONDS: String(pollSeconds),
  });

/** `npm run start:gateway` as a child process, with the given settings on top of this process's env. */
export function startGatewayProcess(env: Record<string, string>): Running {
  return run(
    process.execPath,
    ['--import', 'tsx', 'apps/gateway/src/main.ts'],
    { ...process.env, EDGEFLEET_LOG_LEVEL: 'warn', ...env },
    repoRoot,
  );
}
