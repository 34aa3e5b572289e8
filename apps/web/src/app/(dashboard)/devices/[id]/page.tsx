import { TRPCError } from '@trpc/server';
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { Alert } from '@/components/alert';
import { BackLink } from '@/components/back-link';
import { Card, CardHeader } from '@/components/card';
import { CopyButton } from '@/components/copy-button';
import { NotAllowed } from '@/components/not-allowed';
import { formatDateTime, timeAgo } from '@/lib/format';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { type DeviceAction, DeviceActionButton } from '../_components/device-actions';
import { DeviceStatusBadge, OnlineDot } from '../_components/device-status-badge';
import { CertificatesTable } from './_components/certificates-table';
import { DeviceEvents } from './_components/device-events';
import { DeviceFacts } from './_components/device-facts';
import { DeviceModels } from './_components/device-models';
import { DiagnosticsCard } from './_components/diagnostics-card';
import { HealthCharts } from './_components/health-charts';
import { TagsEditor } from './_components/tags-editor';

export const metadata: Metadata = { title: 'Device · EdgeFleet' };

/** What an operator may do next from each status. */
const NEXT_ACTIONS: Record<string, DeviceAction[]> = {
  pending: ['approve', 'reject'],
  accepted: ['revoke', 'decommission'],
  rejected: ['decommission'],
  revoked: ['decommission'],
  decommissioned: [],
};

/** Why the device can or cannot connect, in words, for the statuses where that is not obvious. */
function StatusNote({ status, canWrite }: { status: string; canWrite: boolean }) {
  const text: Record<string, string> = {
    pending: canWrite
      ? 'Waiting for approval. Approve to issue its certificate: the device collects it on its next poll. Check the facts below first.'
      : 'Waiting for an operator to approve it. It has no certificate yet and cannot connect.',
    rejected: 'Rejected: it was never given a certificate. To enroll this box, run the agent again with a new key.',
    revoked: 'Revoked: its certificates no longer authenticate and any live connection was closed.',
    decommissioned: 'Decommissioned: retired for good. Its record is kept for history.',
  };
  const message = text[status];
  if (!message) return null;
  return (
    <div className="mb-6" data-testid="device-status-note">
      <Alert tone={status === 'pending' ? 'warning' : 'info'}>{message}</Alert>
    </div>
  );
}

function Meta({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="flex justify-between gap-4 px-5 py-3 text-sm">
      <dt className="text-slate-500">{label}</dt>
      <dd className="text-right text-slate-900">{children}</dd>
    </div>
  );
}

const emptyWhenMissing = (e: unknown): never[] => {
  if (e instanceof TRPCError && (e.code === 'NOT_FOUND' || e.code === 'BAD_REQUEST')) return [];
  throw e;
};

export default async function DevicePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { caller } = await getCaller();
  const [me, result, models, pins] = await Promise.all([
    caller.system.whoami(),
    guarded(() =>
      caller.devices.get({ id }).catch((e: unknown) => {
        if (e instanceof TRPCError && (e.code === 'NOT_FOUND' || e.code === 'BAD_REQUEST')) notFound();
        throw e;
      }),
    ),
    // An unknown id is the device query's to answer (404 page); these only add to it.
    guarded(() => caller.devices.models({ deviceId: id }).catch(emptyWhenMissing)),
    guarded(() => caller.pins.list({ deviceId: id }).catch(emptyWhenMissing)),
  ]);
  if (result.forbidden) {
    return <NotAllowed title="You can't view devices">Your role does not include the devices:read scope.</NotAllowed>;
  }
  const d = result.data;
  const canWrite = me.scopes.includes('devices:write');
  // Pending and rejected devices never connected: no telemetry or events to show.
  const canReadHealth = me.scopes.includes('health:read') && d.status !== 'pending' && d.status !== 'rejected';
  const now = Date.now();
  const actions = canWrite ? (NEXT_ACTIONS[d.status] ?? []) : [];

  return (
    <>
      <BackLink href="/devices">Devices</BackLink>
      <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-3">
            <h1 className="truncate text-2xl font-semibold tracking-tight text-slate-900" data-testid="device-name">
              {d.name}
            </h1>
            <DeviceStatusBadge status={d.status} />
            <span className="inline-flex items-center gap-1.5 text-sm text-slate-600" data-testid="device-online">
              <OnlineDot online={d.online} />
              {d.online ? 'online' : d.lastSeenAt ? `offline · last seen ${timeAgo(d.lastSeenAt, now)}` : 'never seen'}
            </span>
          </div>
          <div className="mt-1 flex items-center gap-1 font-mono text-sm text-slate-500">
            {d.id}
            <CopyButton
              text={d.id}
              label="Copy device id"
              className="text-slate-400 hover:bg-slate-100 hover:text-slate-700"
            />
          </div>
        </div>
        {actions.length ? (
          <div className="flex flex-wrap items-start gap-2" data-testid="device-actions">
            {actions.map((a) => (
              <DeviceActionButton key={a} id={d.id} name={d.name} action={a} />
            ))}
          </div>
        ) : null}
      </div>

      <StatusNote status={d.status} canWrite={canWrite} />
      <div className="grid gap-6 lg:grid-cols-3">
        <div className="min-w-0 space-y-6 lg:col-span-2">
          {canReadHealth ? <HealthCharts deviceId={d.id} /> : null}
          <Card>
            <CardHeader
              title="Models"
              description="What the control plane wants this device to run, and what its agent reports it serves."
            />
            <DeviceModels
              deviceId={d.id}
              initialModels={models.forbidden ? [] : models.data}
              initialPins={pins.forbidden ? [] : pins.data}
              canWrite={canWrite}
            />
          </Card>
          <Card>
            <CardHeader title="Hardware and software" description="As the agent reported it at enrollment." />
            <DeviceFacts facts={d.facts} />
          </Card>
          <Card>
            <CardHeader
              title="Certificates"
              description="Issued by the fleet CA; the common name is the device id. Renewal retires the previous one."
            />
            <CertificatesTable certificates={d.certificates} now={now} />
          </Card>
          {d.status === 'accepted' ? <DiagnosticsCard deviceId={d.id} canRequest={canWrite} /> : null}
        </div>
        <div className="space-y-6">
          <Card>
            <CardHeader title="Group and tags" description="Rollouts target devices by group and tag." />
            <TagsEditor id={d.id} group={d.group} tags={d.tags} canWrite={canWrite} />
          </Card>
          <Card>
            <CardHeader title="Enrollment" />
            <dl className="divide-y divide-slate-100">
              <Meta label="Enrollment token">
                {d.enrollmentToken?.name ?? <span className="text-slate-400">deleted</span>}
              </Meta>
              <Meta label="Enrolled">{formatDateTime(d.createdAt)}</Meta>
              <Meta label="Last seen">{d.lastSeenAt ? formatDateTime(d.lastSeenAt) : 'never'}</Meta>
            </dl>
          </Card>
          {canReadHealth ? <DeviceEvents deviceId={d.id} serverNow={now} /> : null}
        </div>
      </div>
    </>
  );
}
