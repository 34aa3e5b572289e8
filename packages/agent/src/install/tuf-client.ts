import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ZModelTargetCustom } from '@edgefleet/protocol/registry';
import { publisherRoleName, type TDesiredArtifact, ZDeviceInstruction } from '@edgefleet/protocol/rollout';
import { Metadata, MetadataKind, type Targets } from '@tufjs/models';
import { BaseFetcher, type TargetFile, Updater } from 'tuf-js';
// tuf-js only treats a missing `N.root.json` as "no newer root" when the fetcher throws its own
// DownloadHTTPError (instanceof), which its index does not export.
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import { AgentError, errorMessage } from '../errors.ts';
import { writeFileAtomic } from '../fs-atomic.ts';
import { httpsGet, readBody, type TlsSource } from './https.ts';
import type { TargetCheck, VerifiedInstruction } from './instruction.ts';

/** The instruction could not be verified or is not for this device; the last verified one stays. */
export class InstructionRefused extends AgentError {}

export const tufDir = (dataRoot: string) => join(dataRoot, 'tuf');

/** tuf-js fetches metadata through this: the device's mTLS connection, verified against the pinned CA. */
class DeviceFetcher extends BaseFetcher {
  constructor(
    private readonly tls: TlsSource,
    private readonly idleTimeoutMs: number,
  ) {
    super();
  }

  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    const res = await httpsGet(new URL(url), { tls: await this.tls(), idleTimeoutMs: this.idleTimeoutMs });
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      res.resume();
      throw new DownloadHTTPError(`GET ${new URL(url).pathname}: HTTP ${status}`, status);
    }
    return Readable.toWeb(res) as unknown as ReadableStream<Uint8Array<ArrayBuffer>>;
  }
}

export interface TufClientOptions {
  /** The data dir root; metadata lives in `<root>/tuf`, starting from the root.json saved at enrollment. */
  dataRoot: string;
  /** Gateway base URL; metadata is under `/v1/tuf/`. */
  server: URL;
  deviceId: string;
  tls: TlsSource;
  idleTimeoutMs?: number;
}

/**
 * The device's TUF client (tuf-js over its own repository on the gateway). A refresh verifies the
 * director's timestamp, snapshot and targets (signatures, expiry, no rollback to an older version),
 * reads the instruction from the signed `custom` field, and resolves each artifact of it against
 * its publisher's delegated role, which must sign the same length and sha256.
 */
export class TufClient {
  private updater: Updater | null = null;

  constructor(private readonly opts: TufClientOptions) {}

  get metadataDir(): string {
    return tufDir(this.opts.dataRoot);
  }

  async refresh(now = new Date()): Promise<VerifiedInstruction> {
    const { server, deviceId } = this.opts;
    let updater: Updater;
    try {
      updater = new Updater({
        metadataDir: this.metadataDir,
        metadataBaseUrl: new URL('/v1/tuf/', server).href,
        fetcher: new DeviceFetcher(this.opts.tls, this.opts.idleTimeoutMs ?? 30_000),
      });
    } catch (e) {
      throw new InstructionRefused(`no trusted TUF root in ${this.metadataDir}: ${errorMessage(e)}`);
    }
    try {
      await updater.refresh();
    } catch (e) {
      throw new InstructionRefused(`instruction refused: ${errorMessage(e)}`);
    }
    // refresh() leaves the verified top-level targets in the trusted set (and only persists verified metadata).
    const targets = (updater as unknown as { trustedSet: { targets?: Metadata<Targets> } }).trustedSet.targets;
    if (!targets) throw new InstructionRefused('instruction refused: no trusted targets after refresh');
    const parsed = ZDeviceInstruction.safeParse(targets.signed.unrecognizedFields.custom);
    if (!parsed.success) {
      throw new InstructionRefused(`instruction refused: signed but malformed: ${parsed.error.issues[0]?.message}`);
    }
    const instruction = parsed.data;
    if (instruction.deviceId !== deviceId) {
      throw new InstructionRefused(
        `instruction refused: it is for ${instruction.deviceId}, this device is ${deviceId}`,
      );
    }
    const checks: Record<string, TargetCheck> = {};
    for (const m of instruction.models) {
      for (const a of m.shadow ? [m, m.shadow] : [m]) checks[a.path] = await checkTarget(updater, m.model, a);
    }
    this.updater = updater;
    return { v: 1, version: targets.signed.version, instruction, targets: checks, verifiedAt: now.toISOString() };
  }

  /** The publisher's signed entry for `path`, as of the last refresh. */
  async targetInfo(path: string): Promise<TargetFile | undefined> {
    if (!this.updater) throw new AgentError('refresh the TUF client first');
    return this.updater.getTargetInfo(path);
  }
}

async function checkTarget(updater: Updater, model: string, a: TDesiredArtifact): Promise<TargetCheck> {
  const role = publisherRoleName(model, a.version);
  let info: TargetFile | undefined;
  try {
    info = await updater.getTargetInfo(a.path);
  } catch (e) {
    return { ok: false, error: `publisher metadata ${role} refused: ${errorMessage(e)}`.slice(0, 1000) };
  }
  if (!info) return { ok: false, error: `${a.path} is not signed by the publisher (role ${role})` };
  const sha256 = info.hashes.sha256;
  if (info.length !== a.length || sha256 !== a.sha256) {
    return {
      ok: false,
      error: `${a.path}: the publisher signed ${info.length} bytes sha256 ${sha256}, the instruction says ${a.length} bytes ${a.sha256}`,
    };
  }
  const custom = ZModelTargetCustom.safeParse(info.custom);
  if (!custom.success)
    return { ok: false, error: `${a.path}: invalid custom fields: ${custom.error.issues[0]?.message}` };
  if (custom.data.model !== model || custom.data.version !== a.version) {
    return { ok: false, error: `${a.path}: the publisher's entry is for ${custom.data.model}@${custom.data.version}` };
  }
  return { ok: true, length: info.length, sha256, custom: custom.data };
}

/**
 * Fetches root v1 of the device's repository over the verified mTLS connection and saves it as
 * the trust anchor (`<data-dir>/tuf/root.json`). Trust in it rests on the pinned CA: it is only
 * ever fetched from the server the device enrolled with.
 */
export async function saveTrustedRoot(dataRoot: string, server: URL, tls: TlsSource): Promise<void> {
  const res = await httpsGet(new URL('/v1/tuf/1.root.json', server), { tls: await tls() });
  if (res.statusCode !== 200) {
    res.resume();
    throw new AgentError(`GET /v1/tuf/1.root.json: HTTP ${res.statusCode}`);
  }
  const text = (await readBody(res, 512_000)).toString('utf8');
  try {
    const root = Metadata.fromJSON(MetadataKind.Root, JSON.parse(text));
    root.verifyDelegate(MetadataKind.Root, root);
    if (root.signed.version !== 1) throw new Error(`version ${root.signed.version}, expected 1`);
  } catch (e) {
    throw new AgentError(`the server's TUF root is not valid: ${errorMessage(e)}`);
  }
  await mkdir(tufDir(dataRoot), { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(tufDir(dataRoot), 'root.json'), text);
}

export const hasTrustedRoot = (dataRoot: string) =>
  readFile(join(tufDir(dataRoot), 'root.json')).then(
    () => true,
    () => false,
  );
