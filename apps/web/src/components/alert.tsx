import { CircleAlert, Info, TriangleAlert } from 'lucide-react';
import type { ReactNode } from 'react';

const tones = {
  error: { box: 'bg-red-50 text-red-800 ring-red-200', Icon: CircleAlert, icon: 'text-red-500' },
  warning: { box: 'bg-amber-50 text-amber-900 ring-amber-200', Icon: TriangleAlert, icon: 'text-amber-500' },
  info: { box: 'bg-slate-50 text-slate-700 ring-slate-200', Icon: Info, icon: 'text-slate-400' },
} as const;

/** An in-place message; errors are announced to screen readers. */
export function Alert({
  tone = 'info',
  children,
  ...rest
}: {
  tone?: keyof typeof tones;
  children: ReactNode;
  'data-testid'?: string;
}) {
  const t = tones[tone];
  return (
    <div
      {...rest}
      role={tone === 'error' ? 'alert' : 'status'}
      className={`flex items-start gap-2.5 rounded-md px-3.5 py-3 text-sm ring-1 ring-inset ${t.box}`}
    >
      <t.Icon className={`mt-0.5 size-4 shrink-0 ${t.icon}`} aria-hidden="true" />
      <div className="min-w-0">{children}</div>
    </div>
  );
}
