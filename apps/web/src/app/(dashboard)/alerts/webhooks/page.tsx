import type { Metadata } from 'next';
import { NotAllowed } from '@/components/not-allowed';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { WebhooksPanel } from '../_components/webhooks-panel';

export const metadata: Metadata = { title: 'Alert webhooks · EdgeFleet' };

export default async function AlertWebhooksPage() {
  const { caller } = await getCaller();
  const [me, hooks, deliveries] = await Promise.all([
    caller.system.whoami(),
    guarded(() => caller.alerts.webhooks.list()),
    guarded(() => caller.alerts.webhooks.deliveries({ limit: 25 })),
  ]);
  if (hooks.forbidden || deliveries.forbidden) {
    return <NotAllowed title="You can't view webhooks">Your role does not include the health:read scope.</NotAllowed>;
  }
  return (
    <WebhooksPanel
      initialWebhooks={hooks.data}
      initialDeliveries={deliveries.data}
      canWrite={me.scopes.includes('alerts:write')}
      serverNow={Date.now()}
    />
  );
}
