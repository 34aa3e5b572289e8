import type { ReactNode } from 'react';

const tones = {
  slate: 'bg-slate-100 text-slate-700 ring-slate-500/20',
  indigo: 'bg-indigo-50 text-indigo-700 ring-indigo-600/20',
  green: 'bg-emerald-50 text-emerald-700 ring-emerald-600/20',
  red: 'bg-red-50 text-red-700 ring-red-600/20',
  amber: 'bg-amber-50 text-amber-800 ring-amber-600/20',
} as const;
export type BadgeTone = keyof typeof tones;

export function Badge({
  tone = 'slate',
  children,
  mono = false,
  ...rest
}: {
  tone?: BadgeTone;
  children: ReactNode;
  mono?: boolean;
  'data-testid'?: string;
}) {
  return (
    <span
      {...rest}
      className={`inline-flex items-center rounded-md px-2 py-0.5 text-xs font-medium ring-1 ring-inset whitespace-nowrap ${tones[tone]} ${mono ? 'font-mono' : ''}`}
    >
      {children}
    </span>
  );
}

const roleTones: Record<string, BadgeTone> = { admin: 'indigo', operator: 'green', viewer: 'slate' };
export function RoleBadge({ role }: { role: string }) {
  return (
    <Badge tone={roleTones[role] ?? 'slate'} data-testid="role-badge">
      {role}
    </Badge>
  );
}
