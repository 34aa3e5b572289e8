import { Badge, type BadgeTone } from '@/components/badge';

const SEVERITY_TONE: Record<string, BadgeTone> = { critical: 'red', warning: 'amber', info: 'slate' };
const STATE_TONE: Record<string, BadgeTone> = { firing: 'red', acknowledged: 'amber', resolved: 'green' };

export function SeverityBadge({ severity }: { severity: string }) {
  return (
    <Badge tone={SEVERITY_TONE[severity] ?? 'slate'} data-testid="severity-badge">
      {severity}
    </Badge>
  );
}

export function AlertStateBadge({ state }: { state: string }) {
  return (
    <Badge tone={STATE_TONE[state] ?? 'slate'} data-testid="alert-state-badge">
      {state}
    </Badge>
  );
}

const DELIVERY_TONE: Record<string, BadgeTone> = { delivered: 'green', pending: 'amber', failed: 'red' };

export function DeliveryBadge({ status }: { status: string }) {
  return (
    <Badge tone={DELIVERY_TONE[status] ?? 'slate'} data-testid="delivery-status">
      {status}
    </Badge>
  );
}
