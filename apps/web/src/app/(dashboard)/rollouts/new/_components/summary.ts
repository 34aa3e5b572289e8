import type { TRolloutSelector } from '@edgefleet/protocol/rollout';
import { describeSelector } from '@/lib/selector-text';
import type { WizardState } from './wizard-state';

/** One-line descriptions for the review card (and the detail page), in the operator's words. */
export function selectorText(s: TRolloutSelector | null): string {
  return s ? describeSelector(s, 'every accepted device') : 'not chosen yet';
}

const minutes = (m: string) => {
  const n = Number(m);
  if (!n) return 'no soak';
  return n % 60 === 0 ? `soak ${n / 60} h` : `soak ${n} min`;
};

export function strategyText(s: WizardState): string {
  if (s.strategyKind === 'all') return 'All at once';
  if (s.strategyKind === 'exponential') return `Exponential: ${s.startPerMinute || '?'}/min × ${s.factor || '?'}`;
  return s.phases.map((p) => `${p.percent || '?'} % (${minutes(p.soakMinutes)})`).join(' → ');
}

export function gatesText(s: WizardState): string[] {
  const out = [`≤ ${s.maxFailurePercent || 5} % failures`];
  if (Number(s.minSuccesses) > 0) out.push(`≥ ${s.minSuccesses} successes per phase`);
  if (s.maxErrorRatePercent) out.push(`≤ ${s.maxErrorRatePercent} % errors`);
  if (s.maxP95RegressionPercent) out.push(`p95 ≤ +${s.maxP95RegressionPercent} %`);
  if (s.maxRestarts) out.push(`≤ ${s.maxRestarts} restarts`);
  if (s.shadow) {
    out.push(
      `shadow ${s.shadowPercent} % for ${s.shadowMinutes} min${s.minAgreementPercent ? `, ≥ ${s.minAgreementPercent} % agreement` : ''}`,
    );
  }
  return out;
}
