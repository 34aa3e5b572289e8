import { InvalidArgumentError } from 'commander';

/** `--tag k=v` (repeatable) into a record; later values win. */
export function collectTag(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`"${value}" is not key=value`);
  return { ...previous, [value.slice(0, eq).trim()]: value.slice(eq + 1).trim() };
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];

const UNIT_HOURS: Record<string, number> = { m: 1 / 60, h: 1, d: 24, w: 24 * 7 };

/** `30m`, `24h`, `7d`, `2w` (a bare number means hours) into hours. */
export function parseDurationHours(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([mhdw]?)$/i.exec(value.trim());
  const hours = m ? Number(m[1]) * (UNIT_HOURS[(m[2] || 'h').toLowerCase()] ?? 1) : Number.NaN;
  if (!Number.isFinite(hours) || hours <= 0) {
    throw new InvalidArgumentError(`"${value}" is not a duration like 30m, 24h or 7d`);
  }
  return hours;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a whole number ≥ 1`);
  return n;
}

/** Human "3 min ago" for tables; absolute times stay available through --json. */
export function ago(d: Date | string | null | undefined, now = Date.now()): string {
  if (!d) return 'never';
  const s = Math.max(0, Math.round((now - new Date(d).getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}
