import type { RouterOutputs } from '@/lib/router-types';

export type GroupView = RouterOutputs['groups']['list'][number];

/** `site=berlin, tier=edge` → { site: 'berlin', tier: 'edge' }, or an error naming the first bad part. */
export function parseSelector(text: string): { selector: Record<string, string> } | { error: string } {
  const selector: Record<string, string> = {};
  for (const part of text
    .split(/[,\n]/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0 || !part.slice(eq + 1).trim()) return { error: `“${part}” is not key=value.` };
    selector[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return { selector };
}

/** The devices list filtered to a group's members. */
export const groupDevicesHref = (name: string) => `/devices?${new URLSearchParams({ group: name })}`;
