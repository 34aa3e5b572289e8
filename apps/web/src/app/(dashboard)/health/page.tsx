import type { Metadata } from 'next';
import { NotAllowed } from '@/components/not-allowed';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { HealthOverview } from './_components/health-overview';

export const metadata: Metadata = { title: 'Health · EdgeFleet' };

export default async function HealthPage() {
  const { caller } = await getCaller();
  const overview = await guarded(() => caller.health.overview());
  if (overview.forbidden) {
    return (
      <NotAllowed title="You can't view fleet health">Your role does not include the health:read scope.</NotAllowed>
    );
  }
  return <HealthOverview initial={overview.data} serverNow={Date.now()} />;
}
