import type { Command } from 'commander';
import { certificateInfo } from '../certs.ts';
import { DataDir } from '../data-dir.ts';
import { AgentError } from '../errors.ts';
import type { AgentIo } from '../io.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Reads the data dir only; works whether or not `run` is active. */
export async function readStatus(dataDir: DataDir) {
  const identity = await dataDir.readIdentity();
  if (!identity) throw new AgentError(`${dataDir.root} holds no identity; run edgefleet-agent enroll first`);
  const certPem = await dataDir.read('cert');
  const cert = certPem ? certificateInfo(certPem) : null;
  const state = await dataDir.readState();
  const running = state ? state.connection !== 'stopped' && alive(state.pid) : false;
  return {
    deviceId: identity.deviceId,
    server: identity.server,
    mqtt: identity.mqtt,
    status: identity.status,
    ...(identity.rejectedReason ? { rejectedReason: identity.rejectedReason } : {}),
    certificate: cert
      ? { serial: cert.serial, notBefore: cert.notBefore.toISOString(), notAfter: cert.notAfter.toISOString() }
      : null,
    agent: state
      ? {
          running,
          connection: running ? state.connection : 'stopped',
          since: state.since,
          lastConnectedAt: state.lastConnectedAt ?? null,
          lastHeartbeatAt: state.lastHeartbeatAt ?? null,
          lastError: state.lastError ?? null,
        }
      : null,
  };
}

export function registerStatusCommand(program: Command, io: AgentIo) {
  program
    .command('status')
    .description('show this device: identity, server, certificate expiry, connection state')
    .requiredOption('--data-dir <dir>', 'where the agent keeps its identity and state')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { dataDir: string; json?: boolean }) => {
      const s = await readStatus(new DataDir(opts.dataDir));
      if (opts.json) return io.out(JSON.stringify(s, null, 2));
      io.out(`device:      ${s.deviceId} (${s.status}${s.rejectedReason ? `: ${s.rejectedReason}` : ''})`);
      io.out(`server:      ${s.server} (mqtt ${s.mqtt.host}:${s.mqtt.port})`);
      io.out(
        `certificate: ${s.certificate ? `serial ${s.certificate.serial}, expires ${s.certificate.notAfter}` : 'none yet'}`,
      );
      if (!s.agent) return io.out('connection:  never run');
      const detail = s.agent.running ? `since ${s.agent.since}` : 'agent not running';
      io.out(`connection:  ${s.agent.connection} (${detail})`);
      if (s.agent.lastHeartbeatAt) io.out(`heartbeat:   ${s.agent.lastHeartbeatAt}`);
      if (s.agent.lastError) io.out(`last error:  ${s.agent.lastError}`);
    });
}
