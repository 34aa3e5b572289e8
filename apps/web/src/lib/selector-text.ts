import type { TRolloutSelector } from '@edgefleet/protocol/rollout';

/**
 * A device selector in the operator's words ("group lab", "tagged site=berlin", "3 listed devices"),
 * shared by rollouts and alert rules; they only word `all` differently.
 */
export function describeSelector(s: TRolloutSelector, all: string): string {
  switch (s.kind) {
    case 'all':
      return all;
    case 'group':
      return `group ${s.group}`;
    case 'tags':
      return `tagged ${Object.entries(s.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`;
    case 'devices':
      return `${s.deviceIds.length} listed device${s.deviceIds.length === 1 ? '' : 's'}`;
  }
}
