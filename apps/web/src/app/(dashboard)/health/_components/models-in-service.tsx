import Link from 'next/link';
import { Card, CardHeader } from '@/components/card';
import type { FleetOverview } from './types';

const n = (v: number) => v.toLocaleString('en-US');

/** Per model, the versions devices report serving, with how many devices (and how many online). */
export function ModelsInService({ models }: { models: FleetOverview['models'] }) {
  const byModel = new Map<string, FleetOverview['models']>();
  for (const m of models) byModel.set(m.model, [...(byModel.get(m.model) ?? []), m]);
  return (
    <Card>
      <CardHeader title="Models in service" description="Versions accepted devices report serving." />
      {byModel.size === 0 ? (
        <p className="px-5 py-8 text-center text-sm text-slate-400">No device serves a model yet.</p>
      ) : (
        <ul className="divide-y divide-slate-100" data-testid="models-in-service">
          {[...byModel].map(([model, versions]) => {
            const total = versions.reduce((s, v) => s + v.devices, 0);
            return (
              <li key={model} className="px-5 py-3.5">
                <div className="flex items-baseline justify-between gap-2">
                  <Link
                    href={`/models/${encodeURIComponent(model)}`}
                    className="truncate font-mono text-sm font-medium text-slate-900 hover:text-indigo-600"
                  >
                    {model}
                  </Link>
                  <span className="text-xs text-slate-500 tabular-nums">{n(total)} devices</span>
                </div>
                <ul className="mt-2 space-y-1.5">
                  {versions.map((v) => (
                    <li
                      key={v.version}
                      className="flex items-center gap-3 text-xs"
                      data-testid="model-version-in-service"
                      data-model={model}
                      data-version={v.version}
                      data-devices={v.devices}
                    >
                      <span className="w-16 shrink-0 truncate font-mono text-slate-700">{v.version}</span>
                      <div className="h-1.5 flex-1 overflow-hidden rounded-full bg-slate-100" aria-hidden="true">
                        <div
                          className="h-full rounded-full bg-indigo-500"
                          style={{ width: `${total ? (v.devices / total) * 100 : 0}%` }}
                        />
                      </div>
                      <span
                        className="w-32 shrink-0 text-right text-slate-500 tabular-nums"
                        title={`${n(v.devices)} devices, ${n(v.online)} online`}
                      >
                        <span className="font-medium text-slate-900">{n(v.devices)}</span> ({n(v.online)} online)
                      </span>
                    </li>
                  ))}
                </ul>
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}
