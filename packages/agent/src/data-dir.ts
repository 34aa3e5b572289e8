import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AgentError } from './errors.ts';
import { fsyncDir, readJsonFile, readTextOrNull, writeFileAtomic, writeJsonAtomic } from './fs-atomic.ts';

export const ZIdentity = z.object({
  v: z.literal(1),
  deviceId: z.string().min(1).max(64),
  /** Gateway HTTPS base URL, e.g. https://fleet.example:8443 */
  server: z.url({ protocol: /^https$/ }),
  mqtt: z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65_535) }),
  status: z.enum(['pending', 'accepted', 'rejected']),
  /** One-time secret for /v1/enroll/poll; only while pending. */
  pollSecret: z.string().min(1).optional(),
  rejectedReason: z.string().optional(),
  enrolledAt: z.iso.datetime(),
  acceptedAt: z.iso.datetime().optional(),
});
export type Identity = z.infer<typeof ZIdentity>;

export const ZConnectionState = z.enum(['connecting', 'connected', 'disconnected', 'stopped']);
export const ZAgentState = z.object({
  v: z.literal(1),
  pid: z.number().int(),
  connection: ZConnectionState,
  since: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  lastConnectedAt: z.iso.datetime().optional(),
  lastHeartbeatAt: z.iso.datetime().optional(),
  lastError: z.string().optional(),
  lastRenewedAt: z.iso.datetime().optional(),
});
export type AgentState = z.infer<typeof ZAgentState>;

const FILES = {
  key: 'key.pem',
  cert: 'cert.pem',
  ca: 'ca.pem',
  identity: 'identity.json',
  state: 'state.json',
  renewKey: 'renew-key.pem',
  renewCert: 'renew-cert.pem',
} as const;
export type DataFile = keyof typeof FILES;

/** Everything the agent keeps lives here; every write is atomic and every read validated. */
export class DataDir {
  constructor(readonly root: string) {}

  path(file: DataFile): string {
    return join(this.root, FILES[file]);
  }

  async ensure(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
  }

  readIdentity = () => readJsonFile(this.path('identity'), ZIdentity);
  writeIdentity = (identity: Identity) => writeJsonAtomic(this.path('identity'), ZIdentity.parse(identity), 0o600);
  readState = () => readJsonFile(this.path('state'), ZAgentState);
  writeState = (state: AgentState) => writeJsonAtomic(this.path('state'), ZAgentState.parse(state));

  read(file: DataFile): Promise<string | null> {
    return readTextOrNull(this.path(file));
  }

  async require(file: DataFile): Promise<string> {
    const text = await this.read(file);
    if (text === null) throw new AgentError(`${this.path(file)} is missing; enroll again into an empty --data-dir`);
    return text;
  }

  /** Private keys are 0600; certificates are public. */
  write(file: DataFile, text: string): Promise<void> {
    return writeFileAtomic(this.path(file), text, file === 'key' || file === 'renewKey' ? 0o600 : 0o644);
  }

  async exists(file: DataFile): Promise<boolean> {
    return stat(this.path(file)).then(
      () => true,
      () => false,
    );
  }

  async remove(file: DataFile): Promise<void> {
    await rm(this.path(file), { force: true });
  }

  /** Renames within the directory (atomic) and makes the rename durable. */
  async move(from: DataFile, to: DataFile): Promise<void> {
    await rename(this.path(from), this.path(to));
    await fsyncDir(this.root);
  }
}
