'use client';

import { useQuery } from '@tanstack/react-query';
import { ArrowRight, Boxes, CircleCheck, Pin } from 'lucide-react';
import Link from 'next/link';
import { Badge, type BadgeTone } from '@/components/badge';
import { DataTable, TableEmpty, tableCell, tableHeadCell } from '@/components/table';
import type { DeviceModelView, PinView } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';
import { PinControl } from './pin-control';

const STEP_TONE: Record<string, BadgeTone> = { succeeded: 'green', failed: 'red', rolled_back: 'amber' };

const none = <span className="text-slate-400">—</span>;

function Versions({ m }: { m: DeviceModelView }) {
  const i = m.installed;
  if (!i?.servingVersion) return <span className="text-slate-400">not serving</span>;
  return (
    <div className="space-y-0.5">
      <div className="font-mono text-sm text-slate-900" data-testid="serving-version">
        {i.servingVersion}
      </div>
      {i.previousVersion ? (
        <div className="text-xs text-slate-500">
          previous <span className="font-mono">{i.previousVersion}</span>
        </div>
      ) : null}
      {i.shadowVersion ? (
        <div className="text-xs text-indigo-700">
          shadow <span className="font-mono">{i.shadowVersion}</span>
        </div>
      ) : null}
    </div>
  );
}

function Desired({ m }: { m: DeviceModelView }) {
  const d = m.desired;
  if (!d) return <span className="text-slate-400">not managed</span>;
  const inSync = d.version === m.installed?.servingVersion;
  return (
    <div className="space-y-0.5">
      <div className="flex items-center gap-1.5 font-mono text-sm text-slate-900" data-testid="desired-version">
        {d.version}
        {inSync ? <CircleCheck className="size-3.5 text-emerald-600" aria-label="serving it" /> : null}
      </div>
      {d.rollback ? <div className="text-xs text-amber-700">rollback</div> : null}
      {d.shadowVersion ? (
        <div className="text-xs text-indigo-700">
          + shadow <span className="font-mono">{d.shadowVersion}</span>
        </div>
      ) : null}
      {d.rolloutId ? (
        <Link
          href={`/rollouts/${d.rolloutId}`}
          className="inline-flex items-center gap-0.5 text-xs font-medium text-indigo-600 hover:text-indigo-500"
        >
          rollout <ArrowRight className="size-3" aria-hidden="true" />
        </Link>
      ) : null}
    </div>
  );
}

function Install({ m }: { m: DeviceModelView }) {
  const i = m.installed;
  if (!i?.installStep) return none;
  return (
    <div className="max-w-64 space-y-1">
      <div className="flex flex-wrap items-center gap-1.5">
        <Badge tone={STEP_TONE[i.installStep] ?? 'indigo'} data-testid="install-step">
          {i.installStep.replaceAll('_', ' ')}
        </Badge>
        {i.installVersion ? <span className="font-mono text-xs text-slate-500">{i.installVersion}</span> : null}
      </div>
      {i.installReason ? (
        <p className={`text-xs ${i.installStep === 'failed' ? 'text-red-700' : 'text-slate-500'}`}>{i.installReason}</p>
      ) : null}
    </div>
  );
}

/** Per model: the version the control plane wants here, what the agent reports it serves, its last install step and any pin. */
export function DeviceModels({
  deviceId,
  initialModels,
  initialPins,
  canWrite,
}: {
  deviceId: string;
  initialModels: DeviceModelView[];
  initialPins: PinView[];
  canWrite: boolean;
}) {
  const trpc = useTRPC();
  const models = useQuery({ ...trpc.devices.models.queryOptions({ deviceId }), initialData: initialModels });
  const pins = useQuery({ ...trpc.pins.list.queryOptions({ deviceId }), initialData: initialPins });
  if (models.data.length === 0) {
    return (
      <TableEmpty icon={Boxes} title="No model on this device yet" testId="device-models-empty">
        A{' '}
        <Link href="/rollouts" className="font-medium text-indigo-600 hover:text-indigo-500">
          rollout
        </Link>{' '}
        or a pin sets what it runs.
      </TableEmpty>
    );
  }
  return (
    <DataTable
      testId="device-models"
      head={
        <>
          <th className={tableHeadCell}>Model</th>
          <th className={tableHeadCell}>Desired</th>
          <th className={tableHeadCell}>Serving</th>
          <th className={tableHeadCell}>Last install</th>
          <th className={tableHeadCell}>Pin</th>
        </>
      }
    >
      {models.data.map((m) => {
        const pin = m.pin ? (pins.data.find((p) => p.id === m.pin?.id) ?? null) : null;
        return (
          <tr key={m.model} data-testid="device-model-row" data-model={m.model}>
            <td className={tableCell}>
              <Link
                href={`/models/${encodeURIComponent(m.model)}`}
                className="font-medium text-slate-900 hover:text-indigo-600"
              >
                {m.model}
              </Link>
            </td>
            <td className={tableCell}>
              <Desired m={m} />
            </td>
            <td className={tableCell}>
              <Versions m={m} />
            </td>
            <td className={tableCell}>
              <Install m={m} />
            </td>
            <td className={`${tableCell} whitespace-nowrap`}>
              <div className="flex flex-col items-start gap-1.5">
                {m.pin ? (
                  <span className="inline-flex items-center gap-1" data-testid="device-pin">
                    <Badge tone="amber">
                      <Pin className="mr-1 size-3" aria-hidden="true" />
                      <span className="font-mono">{m.pin.version}</span>
                    </Badge>
                    {pin?.group ? <span className="text-xs text-slate-500">via group {pin.group}</span> : null}
                  </span>
                ) : null}
                {pin?.reason ? (
                  <span className="max-w-48 truncate text-xs text-slate-500" title={pin.reason}>
                    {pin.reason}
                  </span>
                ) : null}
                {canWrite ? (
                  <PinControl
                    deviceId={deviceId}
                    model={m.model}
                    pin={m.pin ? { id: m.pin.id, group: pin?.group ?? null } : null}
                    suggested={m.installed?.servingVersion ?? m.desired?.version ?? null}
                  />
                ) : null}
              </div>
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}
