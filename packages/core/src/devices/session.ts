import type { Db } from '@edgefleet/db/client';

export type CertificateCheck = { ok: true } | { ok: false; reason: string };

/**
 * Called by the broker (and the HTTPS renew route) when a client presents a certificate that
 * TLS already verified against the CA chain. ok only if the device exists and is accepted,
 * and the serial is that device's, not revoked, not retired and within its validity.
 *
 * On first use of a serial it records firstUsedAt and retires the device's older un-retired
 * serials: the renewal hand-over. The device keeps its old certificate until it has shown the
 * new one works, so a renewal lost in transit never locks it out.
 */
export async function checkDeviceCertificate(
  db: Db,
  input: { deviceId: string; serial: string; now?: Date },
): Promise<CertificateCheck> {
  const now = input.now ?? new Date();
  const serial = input.serial.toLowerCase();
  // One query on the path every connection takes; the device alone is read only to say why not.
  const cert = await db.deviceCertificate.findUnique({
    where: { serial },
    include: { device: { select: { status: true } } },
  });
  const device =
    cert && cert.deviceId === input.deviceId
      ? cert.device
      : await db.device.findUnique({ where: { id: input.deviceId }, select: { status: true } });
  if (!device) return { ok: false, reason: 'unknown device' };
  if (device.status !== 'accepted') return { ok: false, reason: `device is ${device.status}` };
  if (!cert || cert.deviceId !== input.deviceId) {
    return { ok: false, reason: 'certificate does not belong to this device' };
  }
  if (cert.revokedAt) return { ok: false, reason: 'certificate is revoked' };
  if (cert.retiredAt) return { ok: false, reason: 'certificate was replaced by a renewed one' };
  if (now < cert.notBefore) return { ok: false, reason: 'certificate is not yet valid' };
  if (now >= cert.notAfter) return { ok: false, reason: 'certificate has expired' };
  if (!cert.firstUsedAt) {
    await db.$transaction([
      db.deviceCertificate.updateMany({ where: { serial, firstUsedAt: null }, data: { firstUsedAt: now } }),
      db.deviceCertificate.updateMany({
        where: {
          deviceId: input.deviceId,
          serial: { not: serial },
          retiredAt: null,
          createdAt: { lt: cert.createdAt },
        },
        data: { retiredAt: now },
      }),
    ]);
  }
  return { ok: true };
}

export async function markDeviceConnection(db: Db, deviceId: string, online: boolean, at: Date = new Date()) {
  await markDevicesConnection(db, [deviceId], online, at);
}

/** The same for many devices in one statement: a gateway restart reconnects thousands at once. */
export async function markDevicesConnection(db: Db, deviceIds: string[], online: boolean, at: Date = new Date()) {
  if (deviceIds.length === 0) return;
  await db.device.updateMany({ where: { id: { in: deviceIds } }, data: { online, lastSeenAt: at } });
}

/**
 * lastSeenAt for many devices in one statement: the broker batches heartbeats each second. A
 * heartbeat also proves the device is online, so one the liveness sweep set offline (it fell
 * silent without a disconnect, then resumed) comes back without reconnecting.
 */
export async function touchDevices(db: Db, deviceIds: string[], at: Date = new Date()) {
  if (deviceIds.length === 0) return;
  await db.device.updateMany({
    where: { id: { in: [...new Set(deviceIds)] } },
    data: { lastSeenAt: at, online: true },
  });
}

/**
 * Serials revoked (and whose devices they were), and devices whose status left 'accepted', since
 * `since`; the broker polls this to cut live connections. Pass the previous `until` back, minus a few seconds of overlap:
 * timestamps are taken by the writer before its transaction commits, so a row can appear with
 * a time slightly before the last poll. Cutting an already-cut connection is harmless.
 */
export async function revokedSince(
  db: Db,
  since: Date,
): Promise<{ deviceIds: string[]; serials: string[]; serialDeviceIds: string[]; until: Date }> {
  const until = new Date();
  const [certs, devices] = await Promise.all([
    db.deviceCertificate.findMany({ where: { revokedAt: { gte: since } }, select: { serial: true, deviceId: true } }),
    db.device.findMany({
      where: { status: { not: 'accepted' }, updatedAt: { gte: since } },
      select: { id: true },
    }),
  ]);
  return {
    deviceIds: devices.map((d) => d.id),
    serials: certs.map((c) => c.serial),
    // An external broker cannot close a connection by certificate serial, only by client id.
    serialDeviceIds: [...new Set(certs.map((c) => c.deviceId))],
    until,
  };
}
