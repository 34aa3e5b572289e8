import type { ReactNode } from 'react';

/** One numbered step of the wizard: all steps are on one page, in the order they are decided. */
export function WizardSection({
  step,
  title,
  description,
  children,
  testId,
}: {
  step: number;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <section className="rounded-lg bg-white shadow-sm ring-1 ring-slate-200" data-testid={testId}>
      <div className="flex items-start gap-3 border-b border-slate-200 px-5 py-4">
        <span className="mt-0.5 flex size-6 shrink-0 items-center justify-center rounded-full bg-indigo-600 text-xs font-semibold text-white">
          {step}
        </span>
        <div>
          <h2 className="text-base font-semibold text-slate-900">{title}</h2>
          {description ? <p className="mt-0.5 text-sm text-slate-500">{description}</p> : null}
        </div>
      </div>
      <div className="space-y-5 px-5 py-5">{children}</div>
    </section>
  );
}
