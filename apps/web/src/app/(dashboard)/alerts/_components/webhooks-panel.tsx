'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { LoaderCircle, Send, Webhook } from 'lucide-react';
import { Alert } from '@/components/alert';
import { Badge } from '@/components/badge';
import { buttonStyles } from '@/components/button';
import { Card, CardHeader } from '@/components/card';
import { DeleteRowButton } from '@/components/confirm-button';
import { RelativeTime } from '@/components/relative-time';
import { ActionsHead, DataTable, TableEmpty, tableCell, tableHeadCell } from '@/components/table';
import { formatDateTime } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { DeliveryBadge, SeverityBadge } from './badges';
import { EnabledSwitch } from './enabled-switch';
import type { DeliveryView, WebhookView } from './types';
import { WebhookForm } from './webhook-form';

export function WebhooksPanel({
  initialWebhooks,
  initialDeliveries,
  canWrite,
  serverNow,
}: {
  initialWebhooks: WebhookView[];
  initialDeliveries: DeliveryView[];
  canWrite: boolean;
  serverNow: number;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const hooks = useQuery({ ...trpc.alerts.webhooks.list.queryOptions(), initialData: initialWebhooks });
  const deliveries = useQuery({
    ...trpc.alerts.webhooks.deliveries.queryOptions({ limit: 25 }),
    initialData: initialDeliveries,
    refetchInterval: 5000,
  });
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.alerts.webhooks.pathKey() });
  const test = useMutation(trpc.alerts.webhooks.test.mutationOptions({ onSettled: refresh }));
  const update = useMutation(trpc.alerts.webhooks.update.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.alerts.webhooks.delete.mutationOptions({ onSuccess: refresh }));
  const names = new Map(hooks.data.map((h) => [h.id, h.name]));

  return (
    <div className="space-y-6">
      {canWrite ? (
        <WebhookForm onCreated={() => void refresh()} />
      ) : (
        <Alert tone="info" data-testid="read-only-note">
          Your role can see webhooks but not change them (the alerts:write scope).
        </Alert>
      )}
      <Card>
        <CardHeader title="Webhooks" description="Where alert notifications go." />
        {hooks.data.length === 0 ? (
          <TableEmpty icon={Webhook} title="No webhooks yet" testId="webhooks-empty">
            Add one above to hear about alerts in Slack, Teams or your own service.
          </TableEmpty>
        ) : (
          <DataTable
            testId="webhooks-table"
            head={
              <>
                <th className={tableHeadCell}>Webhook</th>
                <th className={tableHeadCell}>Format</th>
                <th className={tableHeadCell}>At or above</th>
                <th className={tableHeadCell}>Enabled</th>
                {canWrite ? <ActionsHead /> : null}
              </>
            }
          >
            {hooks.data.map((h) => {
              const testing = test.isPending && test.variables?.id === h.id;
              const tested = !test.isPending && test.variables?.id === h.id ? test : null;
              return (
                <tr key={h.id} data-testid="webhook-row" data-webhook-id={h.id}>
                  <td className={`${tableCell} max-w-md`}>
                    <div className="font-medium text-slate-900">{h.name}</div>
                    <div className="mt-0.5 truncate font-mono text-xs text-slate-500" title={h.url}>
                      {h.url}
                    </div>
                    {tested?.data ? (
                      <div className="mt-1 text-xs" data-testid="webhook-test-result">
                        Test: <DeliveryBadge status={tested.data.status} />{' '}
                        {tested.data.responseStatus ? `HTTP ${tested.data.responseStatus}` : tested.data.lastError}
                      </div>
                    ) : null}
                    {tested?.error ? <div className="mt-1 text-xs text-red-700">{tested.error.message}</div> : null}
                  </td>
                  <td className={tableCell}>
                    <Badge mono>{h.format}</Badge>
                  </td>
                  <td className={tableCell}>
                    <SeverityBadge severity={h.minSeverity} />
                  </td>
                  <td className={tableCell}>
                    <EnabledSwitch
                      name={h.name}
                      enabled={h.enabled}
                      disabled={!canWrite || update.isPending}
                      onChange={(enabled) => update.mutate({ id: h.id, patch: { enabled } })}
                    />
                  </td>
                  {canWrite ? (
                    <td className={`${tableCell} text-right`}>
                      <div className="flex items-start justify-end gap-2">
                        <button
                          type="button"
                          className={buttonStyles.small}
                          disabled={testing}
                          onClick={() => test.mutate({ id: h.id })}
                          data-testid="webhook-test"
                        >
                          {testing ? (
                            <LoaderCircle className="size-3.5 animate-spin" aria-hidden="true" />
                          ) : (
                            <Send className="size-3.5" aria-hidden="true" />
                          )}
                          Send test
                        </button>
                        <DeleteRowButton
                          id={h.id}
                          question="Delete this webhook and its delivery log?"
                          mutation={remove}
                        />
                      </div>
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </DataTable>
        )}
      </Card>
      <Card>
        <CardHeader title="Recent deliveries" description="The last 25 notifications sent or being retried." />
        {deliveries.data.length === 0 ? (
          <TableEmpty icon={Send} title="Nothing sent yet" testId="deliveries-empty" />
        ) : (
          <DataTable
            testId="deliveries-table"
            head={
              <>
                <th className={tableHeadCell}>Event</th>
                <th className={tableHeadCell}>Webhook</th>
                <th className={tableHeadCell}>Status</th>
                <th className={tableHeadCell}>Attempts</th>
                <th className={tableHeadCell}>Last error</th>
                <th className={tableHeadCell}>Created</th>
              </>
            }
          >
            {deliveries.data.map((d) => (
              <tr key={d.id} data-testid="delivery-row">
                <td className={`${tableCell} font-mono text-xs text-slate-700`}>{d.event}</td>
                <td className={`${tableCell} text-slate-700`}>{names.get(d.webhookId) ?? d.webhookId}</td>
                <td className={tableCell}>
                  <DeliveryBadge status={d.status} />
                  {d.responseStatus ? (
                    <span className="ml-1.5 text-xs text-slate-500">HTTP {d.responseStatus}</span>
                  ) : null}
                </td>
                <td className={`${tableCell} tabular-nums text-slate-700`}>
                  {d.attempts}
                  {d.status === 'pending' && d.attempts > 0 ? (
                    <div className="text-xs text-slate-500">next {formatDateTime(d.nextAttemptAt)}</div>
                  ) : null}
                </td>
                <td className={`${tableCell} max-w-xs truncate text-xs text-red-700`} title={d.lastError ?? ''}>
                  {d.lastError ?? <span className="text-slate-400">—</span>}
                </td>
                <td className={`${tableCell} whitespace-nowrap text-slate-600`}>
                  <RelativeTime date={d.createdAt} serverNow={serverNow} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Card>
    </div>
  );
}
