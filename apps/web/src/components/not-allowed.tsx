import { Lock } from 'lucide-react';
import type { ReactNode } from 'react';

/** Rendered by pages whose procedure refused the signed-in user (FORBIDDEN). */
export function NotAllowed({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div
      data-testid="not-allowed"
      className="flex flex-col items-center rounded-lg border border-dashed border-slate-300 bg-white px-6 py-12 text-center"
    >
      <span className="flex size-11 items-center justify-center rounded-full bg-slate-100">
        <Lock className="size-5 text-slate-500" aria-hidden="true" />
      </span>
      <h2 className="mt-4 text-base font-semibold text-slate-900">{title}</h2>
      {children ? <div className="mt-1 max-w-md text-sm text-slate-500">{children}</div> : null}
    </div>
  );
}
