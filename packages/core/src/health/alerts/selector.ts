import { Prisma } from '@edgefleet/db/client';
import { ZRolloutSelector } from '@edgefleet/protocol/rollout';
import type { DbOrTx } from '../../rollouts/events.ts';
import { selectorCondition } from '../../rollouts/targets.ts';

export { selectorCondition as validatedSelectorCondition } from '../../rollouts/targets.ts';

/**
 * The devices a rule watches, as a condition on `devices d` (the rollouts' selector shapes).
 * Unlike planning a rollout, evaluation never refuses: a group deleted after the rule was written
 * matches no device, and device ids that do not exist simply match nothing.
 */
export async function ruleDeviceCondition(db: DbOrTx, stored: unknown): Promise<Prisma.Sql> {
  const parsed = ZRolloutSelector.safeParse(stored);
  if (!parsed.success) return Prisma.sql`FALSE`;
  return selectorCondition(db, parsed.data, { refuseUnknown: false });
}
