import { Badge } from '@/components/badge';
import { type DeviceState, label, type RolloutStatus, STATE_TONE, STATUS_TONE } from './states';

export function RolloutStatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={STATUS_TONE[status as RolloutStatus] ?? 'slate'} data-testid="rollout-status">
      {label(status)}
    </Badge>
  );
}

export function DeviceStateBadge({ state }: { state: string }) {
  return (
    <Badge tone={STATE_TONE[state as DeviceState] ?? 'slate'} data-testid="device-state">
      {label(state)}
    </Badge>
  );
}
