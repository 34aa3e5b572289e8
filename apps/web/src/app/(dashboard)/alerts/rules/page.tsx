import type { Metadata } from 'next';
import { NotAllowed } from '@/components/not-allowed';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { RulesPanel } from '../_components/rules-panel';

export const metadata: Metadata = { title: 'Alert rules · EdgeFleet' };

export default async function AlertRulesPage() {
  const { caller } = await getCaller();
  const [me, rules, groups] = await Promise.all([
    caller.system.whoami(),
    guarded(() => caller.alerts.rules.list()),
    guarded(() => caller.groups.list()),
  ]);
  if (rules.forbidden) {
    return (
      <NotAllowed title="You can't view alert rules">Your role does not include the health:read scope.</NotAllowed>
    );
  }
  return (
    <RulesPanel
      initialRules={rules.data}
      groups={groups.forbidden ? [] : groups.data.map((g) => g.name)}
      canWrite={me.scopes.includes('alerts:write')}
    />
  );
}
