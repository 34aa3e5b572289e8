/** `currentPhase` -1 is the shadow phase; 0..n-1 the strategy's phases, shown 1-based. */
export function phaseLabel(currentPhase: number, phaseCount: number, status: string): string {
  if (status === 'completed') return phaseCount > 1 ? `${phaseCount} / ${phaseCount}` : 'done';
  if (currentPhase < 0) return 'shadow';
  if (phaseCount <= 1) return 'single phase';
  return `${Math.min(currentPhase + 1, phaseCount)} / ${phaseCount}`;
}
