import { publisherRoleName, type TDeviceInstruction } from '@edgefleet/protocol/rollout';
import { Metadata, MetaFile, Root, Signature, Snapshot, Targets, Timestamp } from '@tufjs/models';
import { tufKey } from '../registry/tuf-key.ts';
import type { DirectorKey } from './director-key.ts';

/**
 * The TUF documents of a device's repository, built and signed with the director key. Pure: the
 * database work (what to sign, storing it) is in device-repository.ts.
 */

const SPEC_VERSION = '1.0.31';
const ROOT_VALIDITY_YEARS = 10;
// Only for DirectorKeys built by hand (tests): loadOrCreateDirectorKey always sets createdAt.
const FALLBACK_CREATED_AT = new Date('2026-01-01T00:00:00Z');

/** TUF writes whole seconds: `2026-01-01T00:00:00Z`. */
export const tufTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

// @tufjs/models exports no Role, DelegatedRole or Delegations: roots and delegations are built
// from their JSON form with fromJSON, which also validates them.
type JsonObject = Parameters<typeof Root.fromJSON>[0];

function signed(director: DirectorKey, signed: Root | Targets | Snapshot | Timestamp): string {
  const metadata = new Metadata(signed);
  metadata.sign((bytes) => new Signature({ keyID: director.keyId, sig: director.sign(bytes).toString('hex') }));
  return JSON.stringify(metadata.toJSON());
}

const rootCache = new WeakMap<DirectorKey, string>();

/**
 * Root v1: the director key holds every top-level role. Deterministic (its expiry follows the
 * key's creation time), so every replica serves the same bytes.
 */
export function directorRoot(director: DirectorKey): string {
  const cached = rootCache.get(director);
  if (cached) return cached;
  const expires = new Date(director.createdAt ?? FALLBACK_CREATED_AT);
  expires.setUTCFullYear(expires.getUTCFullYear() + ROOT_VALIDITY_YEARS);
  const role = () => ({ keyids: [director.keyId], threshold: 1 });
  const root = Root.fromJSON({
    _type: 'root',
    spec_version: SPEC_VERSION,
    version: 1,
    expires: tufTime(expires),
    keys: { [director.keyId]: tufKey(director.keyId, director.publicKeyHex).toJSON() },
    roles: { root: role(), timestamp: role(), snapshot: role(), targets: role() },
    consistent_snapshot: false,
  });
  const json = signed(director, root);
  rootCache.set(director, json);
  return json;
}

/** A model version the instruction names, delegated to its publisher's key. */
export interface DelegatedVersion {
  model: string;
  version: string;
  publisherKeyId: string;
  /** ed25519 public key, hex. */
  publisherKeyHex: string;
  /** `signed.version` of the publisher's metadata, which snapshot.json must name. */
  metadataVersion: number;
}

export interface SignedSet {
  targetsJson: string;
  snapshotJson: string;
  timestampJson: string;
}

/**
 * Old snapshot entries to keep. A TUF client refuses a snapshot that drops a file its trusted
 * snapshot listed (rollback check), so a role stays listed after the device moves to another
 * version; it is no longer delegated, so nothing ever fetches it.
 */
function previousRoleMeta(previousSnapshotJson: string | null): Record<string, number> {
  if (!previousSnapshotJson) return {};
  try {
    const meta = (JSON.parse(previousSnapshotJson) as { signed?: { meta?: Record<string, { version?: unknown }> } })
      .signed?.meta;
    const kept: Record<string, number> = {};
    for (const [file, info] of Object.entries(meta ?? {})) {
      if (file !== 'targets.json' && Number.isSafeInteger(info?.version)) kept[file] = info.version as number;
    }
    return kept;
  } catch {
    return {};
  }
}

/**
 * targets.json (no files of its own: the instruction as `custom`, one terminating delegation per
 * model version), snapshot.json and timestamp.json, all carrying `version` and `expires`.
 */
export function signDeviceSet(
  director: DirectorKey,
  input: {
    version: number;
    expires: Date;
    instruction: TDeviceInstruction;
    delegated: DelegatedVersion[];
    previousSnapshotJson: string | null;
  },
): SignedSet {
  const { version } = input;
  const expires = tufTime(input.expires);
  const keys: JsonObject = {};
  const roles: JsonObject[] = [];
  const roleMeta = previousRoleMeta(input.previousSnapshotJson);
  for (const d of input.delegated) {
    const name = publisherRoleName(d.model, d.version);
    keys[d.publisherKeyId] = tufKey(d.publisherKeyId, d.publisherKeyHex).toJSON();
    if (!roles.some((r) => r.name === name)) {
      roles.push({
        name,
        keyids: [d.publisherKeyId],
        threshold: 1,
        terminating: true,
        paths: [`models/${d.model}/${d.version}/*`],
      });
    }
    roleMeta[`${name}.json`] = d.metadataVersion;
  }
  // Round trip: canonical JSON cannot encode `undefined` members.
  const custom = JSON.parse(JSON.stringify(input.instruction));
  const targetsJson = signed(
    director,
    Targets.fromJSON({
      _type: 'targets',
      spec_version: SPEC_VERSION,
      version,
      expires,
      targets: {},
      ...(roles.length > 0 ? { delegations: { keys, roles } } : {}),
      custom,
    }),
  );
  const meta: Record<string, MetaFile> = { 'targets.json': new MetaFile({ version }) };
  for (const [file, v] of Object.entries(roleMeta)) meta[file] = new MetaFile({ version: v });
  const snapshotJson = signed(director, new Snapshot({ version, specVersion: SPEC_VERSION, expires, meta }));
  const timestampJson = signed(
    director,
    new Timestamp({ version, specVersion: SPEC_VERSION, expires, snapshotMeta: new MetaFile({ version }) }),
  );
  return { targetsJson, snapshotJson, timestampJson };
}

/** Role names delegated by a stored targets.json, for serving only this device's roles. */
export function delegatedRoleNames(targetsJson: string): Set<string> {
  const parsed = JSON.parse(targetsJson) as { signed?: { delegations?: { roles?: Array<{ name?: unknown }> } } };
  const roles = parsed.signed?.delegations?.roles ?? [];
  return new Set(roles.map((r) => r.name).filter((n): n is string => typeof n === 'string'));
}
