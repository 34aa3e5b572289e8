import { ALERT_SEVERITIES } from '@edgefleet/protocol/health';
import { BellOff } from 'lucide-react';
import type { Metadata } from 'next';
import Link from 'next/link';
import { Card } from '@/components/card';
import { NotAllowed } from '@/components/not-allowed';
import { Pagination } from '@/components/pagination';
import { StatusChips } from '@/components/status-chips';
import { TableEmpty } from '@/components/table';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { AlertsTable } from './_components/alerts-table';
import { ALERT_PAGE_SIZE, ALERT_STATE_FILTERS, alertsHref, readAlertParams } from './_components/list-params';

export const metadata: Metadata = { title: 'Alerts · EdgeFleet' };

const STATE_DOT = {
  open: 'bg-red-500',
  firing: 'bg-red-500',
  acknowledged: 'bg-amber-400',
  resolved: 'bg-emerald-500',
};
const SEVERITY_DOT = { critical: 'bg-red-500', warning: 'bg-amber-400', info: 'bg-slate-400' };

export default async function AlertsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = readAlertParams(await searchParams);
  const { caller } = await getCaller();
  const [me, page] = await Promise.all([
    caller.system.whoami(),
    guarded(() =>
      caller.alerts.list({
        ...(params.state ? { state: params.state } : {}),
        ...(params.severity ? { severity: params.severity } : {}),
        limit: ALERT_PAGE_SIZE,
        cursor: params.cursor,
      }),
    ),
  ]);
  if (page.forbidden) {
    return <NotAllowed title="You can't view alerts">Your role does not include the health:read scope.</NotAllowed>;
  }
  const { items, nextCursor } = page.data;
  const canWrite = me.scopes.includes('alerts:write');
  const what = [params.severity, params.state === 'open' ? 'open' : params.state].filter(Boolean).join(' ');

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <StatusChips
          statuses={ALERT_STATE_FILTERS}
          active={params.state}
          href={(state) => alertsHref(params, { state })}
          dot={STATE_DOT}
          testId="alert-state-chips"
          chipTestIdPrefix="alert-state"
        />
        <StatusChips
          statuses={ALERT_SEVERITIES}
          active={params.severity}
          href={(severity) => alertsHref(params, { severity })}
          dot={SEVERITY_DOT}
          testId="alert-severity-chips"
          chipTestIdPrefix="alert-severity"
        />
      </div>
      <Card>
        {items.length === 0 ? (
          <TableEmpty icon={BellOff} title={`No ${what ? `${what} ` : ''}alerts`} testId="alerts-empty">
            {params.state === 'open' && !params.severity ? (
              <>
                All quiet. Alerts appear here when a{' '}
                <Link href="/alerts/rules" className="font-medium text-indigo-600 hover:text-indigo-500">
                  rule
                </Link>{' '}
                matches a device or a rollout.
              </>
            ) : (
              <Link href="/alerts?state=all" className="font-medium text-indigo-600 hover:text-indigo-500">
                Show all alerts
              </Link>
            )}
          </TableEmpty>
        ) : (
          <AlertsTable alerts={items} canWrite={canWrite} now={Date.now()} />
        )}
        <Pagination params={params} nextCursor={nextCursor} href={(change) => alertsHref(params, change)} />
      </Card>
    </div>
  );
}
