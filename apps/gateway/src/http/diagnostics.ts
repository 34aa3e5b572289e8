import { pendingFor, storeBundle } from '@edgefleet/core/health/diagnostics';
import { PROTOCOL_VERSION } from '@edgefleet/protocol/device';
import { MAX_DIAGNOSTICS_BYTES, type TDiagnosticsNotice } from '@edgefleet/protocol/health';
import { HttpRefusal, readJsonBody } from './body.ts';
import { authenticateDevice } from './device-auth.ts';
import { sendJson } from './respond.ts';
import type { Handler } from './route.ts';

const nowOf = (deps: Parameters<Handler>[0]) => {
  const clock = deps.clock;
  return clock ? () => clock.now() : undefined;
};

/**
 * `GET /v1/diagnostics/pending`: the calling device's requests waiting for a bundle, as a
 * ZDiagnosticsNotice. The agent asks on every (re)connect, so a device offline when the operator
 * asked answers when it returns, doorbell or not.
 */
export const pendingDiagnostics: Handler = async (deps, req, res, { ip }) => {
  const { deviceId } = await authenticateDevice(deps, req, { action: 'device.diagnostics.pending', ip });
  const notice: TDiagnosticsNotice = {
    v: PROTOCOL_VERSION,
    requestIds: await pendingFor({ db: deps.db, now: nowOf(deps) }, deviceId),
  };
  sendJson(res, 200, notice);
};

/**
 * `POST /v1/diagnostics/<requestId>`: the device's bundle for one of its own pending requests.
 * The certificate is checked before a byte of the body is read, and a body over
 * MAX_DIAGNOSTICS_BYTES is refused (413) as soon as it is declared or passes the limit. Core
 * validates the bundle and refuses another device's request (404) or an answered one (409).
 */
export const uploadDiagnostics: Handler = async (deps, req, res, { ip, param }) => {
  const { deviceId } = await authenticateDevice(deps, req, { action: 'device.diagnostics.upload', ip });
  let requestId: string;
  try {
    requestId = decodeURIComponent(param);
  } catch {
    throw new HttpRefusal(404, 'not_found', 'No such diagnostics request');
  }
  if (!/^[\w-]{1,64}$/.test(requestId)) throw new HttpRefusal(404, 'not_found', 'No such diagnostics request');
  const bundle = await readJsonBody(req, MAX_DIAGNOSTICS_BYTES);
  const stored = await storeBundle({ db: deps.db, now: nowOf(deps) }, { deviceId, requestId, bundle, ip });
  sendJson(res, 200, { id: stored.id, status: stored.status, sizeBytes: stored.sizeBytes });
};
