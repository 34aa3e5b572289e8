import type {
  TMaintenanceWindow,
  TRolloutGates,
  TRolloutSelector,
  TRolloutStrategy,
  TShadowPlan,
} from '@edgefleet/protocol/rollout';
import type { ReactNode } from 'react';
import { Badge } from '@/components/badge';
import { Card, CardHeader } from '@/components/card';
import type { RolloutDetail } from '@/lib/router-types';
import { selectorText } from '../../new/_components/summary';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function duration(seconds: number): string {
  if (seconds === 0) return 'none';
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function strategyText(s: TRolloutStrategy): string {
  if (s.kind === 'all') return 'All at once';
  if (s.kind === 'exponential') return `Exponential: ${s.startPerMinute}/min, ×${s.factor} each minute`;
  return s.phases
    .map(
      (p) =>
        `${p.percent !== undefined ? `${p.percent} %` : `${p.count} devices`} (${p.soakSeconds ? `soak ${duration(p.soakSeconds)}` : 'no soak'})`,
    )
    .join(' → ');
}

function gatesList(g: Partial<TRolloutGates>): string[] {
  const out = [`failures ≤ ${g.maxFailurePercent ?? 5} %`];
  if (g.minSuccesses) out.push(`≥ ${g.minSuccesses} successes per phase`);
  if (g.maxErrorRatePercent !== undefined) out.push(`error rate ≤ ${g.maxErrorRatePercent} %`);
  if (g.maxP95RegressionPercent !== undefined) out.push(`p95 ≤ +${g.maxP95RegressionPercent} %`);
  if (g.maxRestarts !== undefined) out.push(`restarts ≤ ${g.maxRestarts}`);
  if (g.minAgreementPercent !== undefined) out.push(`shadow agreement ≥ ${g.minAgreementPercent} %`);
  return out;
}

function windowText(w: TMaintenanceWindow | null | undefined): string {
  if (!w) return 'any time';
  const days = w.days?.length ? ` on ${w.days.map((d) => DAYS[d]).join(', ')}` : ' every day';
  return `${w.start}–${w.end} UTC${days}`;
}

function shadowText(s: TShadowPlan | null | undefined): string {
  if (!s) return 'none';
  const cohort = s.percent !== undefined ? `${s.percent} %` : `${s.count} devices`;
  return `${cohort} for ${duration(s.durationSeconds)}, ${s.samplePercent ?? 100} % of requests`;
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="px-5 py-3 sm:grid sm:grid-cols-3 sm:gap-4">
      <dt className="text-sm text-slate-500">{label}</dt>
      <dd className="mt-1 text-sm text-slate-900 sm:col-span-2 sm:mt-0">{children}</dd>
    </div>
  );
}

/** The rollout as it was created (it never changes afterwards). */
export function RolloutSettings({ rollout: r }: { rollout: RolloutDetail }) {
  return (
    <Card>
      <CardHeader title="Definition" description="As created; a rollout's definition does not change." />
      <dl className="divide-y divide-slate-100" data-testid="rollout-definition">
        <Item label="Devices">
          {selectorText(r.selector as TRolloutSelector)}
          <span className="text-slate-500"> · {r.deviceCount.toLocaleString('en-US')} planned</span>
        </Item>
        <Item label="Strategy">{strategyText(r.strategy as TRolloutStrategy)}</Item>
        <Item label="Gates">
          <div className="flex flex-wrap gap-1">
            {gatesList(r.gates as Partial<TRolloutGates>).map((g) => (
              <Badge key={g}>{g}</Badge>
            ))}
          </div>
        </Item>
        <Item label="When a gate trips">{r.onFailure === 'rollback' ? 'Roll back' : 'Pause'}</Item>
        <Item label="Shadow phase">{shadowText(r.shadow as TShadowPlan | null)}</Item>
        <Item label="Window">{windowText(r.window as TMaintenanceWindow | null)}</Item>
        <Item label="Installs">
          {r.maxConcurrent ? `${r.maxConcurrent.toLocaleString('en-US')} at once` : 'no concurrency limit'} · step
          timeout {duration(r.stepTimeoutSeconds)} · {r.maxRetries} retr{r.maxRetries === 1 ? 'y' : 'ies'}
        </Item>
      </dl>
    </Card>
  );
}
