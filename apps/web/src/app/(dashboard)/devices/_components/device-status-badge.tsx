import { Badge, type BadgeTone } from '@/components/badge';

const TONE: Record<string, BadgeTone> = {
  pending: 'amber',
  accepted: 'green',
  rejected: 'red',
  revoked: 'red',
  decommissioned: 'slate',
};

export function DeviceStatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={TONE[status] ?? 'slate'} data-testid="device-status">
      {status}
    </Badge>
  );
}

/** Green when the device holds a live MQTT connection, grey otherwise; always with words, never colour alone. */
export function OnlineDot({ online }: { online: boolean }) {
  return (
    <span
      className={`inline-block size-2 shrink-0 rounded-full ${online ? 'bg-emerald-500 ring-4 ring-emerald-500/15' : 'bg-slate-300'}`}
      aria-hidden="true"
    />
  );
}
