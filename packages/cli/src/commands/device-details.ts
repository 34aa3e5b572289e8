import type { AppRouter } from '@edgefleet/api/root';
import type { inferRouterOutputs } from '@trpc/server';
import { table, when } from '../output.ts';
import { ago } from './parse.ts';

type DeviceDetail = inferRouterOutputs<AppRouter>['devices']['get'];

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** `devices show` for people: facts first, then tags and certificates. */
export function printDevice(d: DeviceDetail) {
  const f = d.facts;
  const lines: [string, string][] = [
    ['id', d.id],
    ['name', d.name],
    ['status', d.status],
    ['group', d.group ?? '-'],
    [
      'tags',
      Object.entries(d.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || '-',
    ],
    ['online', d.online ? 'online' : `offline (last seen ${ago(d.lastSeenAt)})`],
    ['os', [f.os, f.osVersion].filter(Boolean).join(' ')],
    ['arch', f.arch],
    ['cpu', `${f.cpu.model} (${f.cpu.cores} cores)`],
    ['memory', gib(f.memoryBytes)],
    ['accelerators', f.accelerators.map((a) => `${a.kind}:${a.name}`).join(', ') || 'none'],
    ['backends', f.backends.join(', ') || 'none'],
    ['agent', f.agentVersion],
    ['serial number', f.serialNumber ?? '-'],
    ['hardware id', f.hardwareId ?? '-'],
    ['enrolled with', d.enrollmentToken?.name ?? '-'],
    ['created', when(d.createdAt)],
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  for (const [k, v] of lines) console.log(`${k.padEnd(width)}  ${v}`);
  if (d.certificates.length === 0) return console.log('\nNo certificates.');
  console.log('');
  const rows = d.certificates.map((c) => ({
    serial: c.serial,
    'valid from': when(c.notBefore),
    'valid until': when(c.notAfter),
    state: c.revokedAt
      ? 'revoked'
      : c.retiredAt
        ? 'retired'
        : new Date(c.notAfter) < new Date()
          ? 'expired'
          : 'current',
  }));
  console.log(table(rows, ['serial', 'valid from', 'valid until', 'state']));
}
