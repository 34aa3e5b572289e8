import { Tag } from 'lucide-react';
import Link from 'next/link';
import { Card, CardHeader } from '@/components/card';
import type { GroupHealth } from './types';

/** Colour by the share of a group's devices that are offline or alerting. */
const SCALE = [
  {
    upTo: 0,
    label: 'healthy',
    tile: 'bg-emerald-50 ring-emerald-200 hover:ring-emerald-400',
    swatch: 'bg-emerald-200',
  },
  { upTo: 0.1, label: '≤ 10%', tile: 'bg-amber-50 ring-amber-200 hover:ring-amber-400', swatch: 'bg-amber-100' },
  { upTo: 0.25, label: '≤ 25%', tile: 'bg-amber-100 ring-amber-300 hover:ring-amber-500', swatch: 'bg-amber-300' },
  { upTo: 0.5, label: '≤ 50%', tile: 'bg-red-100 ring-red-300 hover:ring-red-500', swatch: 'bg-red-300' },
  { upTo: 1, label: '> 50%', tile: 'bg-red-200 ring-red-400 hover:ring-red-600', swatch: 'bg-red-500' },
] as const;
const EMPTY = 'bg-slate-50 ring-slate-200 hover:ring-slate-300';

function tileTone(g: GroupHealth): string {
  if (g.devices === 0) return EMPTY;
  const share = g.problem / g.devices;
  return (SCALE.find((s) => share <= s.upTo) ?? SCALE[4]).tile;
}

const n = (v: number) => v.toLocaleString('en-US');

function Tile({ g }: { g: GroupHealth }) {
  const name = g.name ?? 'No group';
  const healthy = g.devices - g.problem;
  const body = (
    <>
      <div className="flex items-center gap-1.5">
        {g.kind === 'dynamic' ? (
          <Tag className="size-3.5 shrink-0 text-slate-500" aria-label="tag-based group" />
        ) : null}
        <span
          className={`truncate text-sm font-semibold ${g.name ? 'text-slate-900' : 'text-slate-600 italic'}`}
          title={name}
        >
          {name}
        </span>
      </div>
      <p className="mt-2 text-2xl font-semibold text-slate-900 tabular-nums">
        {g.devices === 0 ? '—' : `${Math.round((healthy / g.devices) * 100)}%`}
        <span className="ml-1 text-xs font-normal text-slate-500">{g.devices === 0 ? 'no devices' : 'healthy'}</span>
      </p>
      <p className="mt-1 text-xs text-slate-600 tabular-nums" data-testid="group-tile-counts">
        {n(g.devices)} device{g.devices === 1 ? '' : 's'}
        {g.offline > 0 ? <span className="text-red-700"> · {n(g.offline)} offline</span> : null}
        {g.alerting > 0 ? <span className="text-amber-800"> · {n(g.alerting)} alerting</span> : null}
      </p>
    </>
  );
  const className = `block min-w-0 rounded-md px-3.5 py-3 ring-1 ring-inset transition ${tileTone(g)}`;
  const data = {
    'data-testid': 'group-tile',
    'data-group': g.name ?? '',
    'data-devices': g.devices,
    'data-offline': g.offline,
    'data-alerting': g.alerting,
  };
  // "No group" has no filter of its own in the devices list.
  return g.name ? (
    <Link
      href={`/devices?group=${encodeURIComponent(g.name)}`}
      className={className}
      title={`Devices in ${name}`}
      {...data}
    >
      {body}
    </Link>
  ) : (
    <div className={className} {...data}>
      {body}
    </div>
  );
}

/** Every group as a tile coloured by how much of it is in trouble; each links to its devices. */
export function GroupMap({ groups }: { groups: GroupHealth[] }) {
  return (
    <Card>
      <CardHeader
        title="Problem devices by group"
        description="Share of each group's accepted devices that are offline or have a firing alert."
      />
      <div className="px-5 py-4">
        {groups.length === 0 ? (
          <p className="py-6 text-center text-sm text-slate-400">No groups yet.</p>
        ) : (
          <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 xl:grid-cols-4" data-testid="group-map">
            {groups.map((g) => (
              <Tile key={g.id ?? '(none)'} g={g} />
            ))}
          </div>
        )}
        <div className="mt-4 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-slate-500" aria-hidden="true">
          <span>Offline or alerting:</span>
          {SCALE.map((s) => (
            <span key={s.label} className="inline-flex items-center gap-1">
              <span className={`size-2.5 rounded-sm ${s.swatch}`} />
              {s.label}
            </span>
          ))}
        </div>
      </div>
    </Card>
  );
}
