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

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90s`, `10m`, `2h`, `1d` into whole seconds. A unit is required: "10" alone is ambiguous. */
export function parseDurationSeconds(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd])$/i.exec(value.trim());
  const seconds = m ? Math.round(Number(m[1]) * (UNIT_SECONDS[(m[2] ?? '').toLowerCase()] ?? Number.NaN)) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new InvalidArgumentError(`"${value}" is not a duration like 90s, 10m, 2h or 1d`);
  }
  return seconds;
}

/** A finite number (`90`, `-5`, `0.5`), e.g. an alert threshold. */
export function parseNumber(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`"${value}" is not a number`);
  return n;
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
