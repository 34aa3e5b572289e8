import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { recordAudit } from '@edgefleet/core/audit';
import { checkDeviceCertificate } from '@edgefleet/core/devices/session';
import type { Clock } from '@edgefleet/core/tokens';
import type { Db } from '@edgefleet/db/client';
import { HttpRefusal } from './body.ts';

export interface AuthenticatedDevice {
  deviceId: string;
  serial: string;
}

/**
 * The device's certificate is its only credential on the mTLS routes. TLS has verified it against
 * the fleet chain (the server requests but does not require client certificates, so enrollment
 * works without one); core then checks it is this device's, in force and not revoked. Refusals:
 * 401 without a verified certificate (the router audits those), 403 with the device as actor,
 * audited here under `action` because only here is the reason known.
 */
export async function authenticateDevice(
  deps: { db: Db; clock?: Clock | undefined },
  req: IncomingMessage,
  audit: { action: string; ip: string | null },
): Promise<AuthenticatedDevice> {
  const socket = req.socket as Partial<TLSSocket>;
  const peer = socket.authorized && socket.getPeerCertificate ? socket.getPeerCertificate() : null;
  const deviceId = peer?.subject?.CN;
  const serial = peer?.serialNumber?.toLowerCase();
  if (!deviceId || !serial || typeof deviceId !== 'string') {
    throw new HttpRefusal(401, 'unauthorized', 'a client certificate issued by the fleet CA is required');
  }
  const check = await checkDeviceCertificate(deps.db, { deviceId, serial, now: deps.clock?.now() });
  if (!check.ok) {
    await recordAudit(deps.db, {
      actor: { kind: 'device', deviceId },
      action: audit.action,
      target: { type: 'device', id: deviceId },
      outcome: 'failure',
      detail: { serial, error: check.reason },
      ip: audit.ip,
    });
    throw new HttpRefusal(403, 'forbidden', `certificate refused: ${check.reason}`);
  }
  return { deviceId, serial };
}
