import type { LucideIcon } from 'lucide-react';
import type { ReactNode } from 'react';
import { CodeBlock } from './code-block';

export interface EmptyStep {
  title: string;
  body?: ReactNode;
  command?: string;
}

/** A page with nothing to show yet: what will appear here and the next steps to get there. */
export function EmptyState({
  icon: Icon,
  title,
  description,
  steps = [],
  footer,
  testId,
}: {
  icon: LucideIcon;
  title: string;
  description: ReactNode;
  steps?: EmptyStep[];
  footer?: ReactNode;
  testId?: string;
}) {
  return (
    <section data-testid={testId} className="rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
      <div className="flex flex-col items-center border-b border-slate-100 px-6 pt-10 pb-8 text-center">
        <span className="flex size-12 items-center justify-center rounded-full bg-indigo-50 ring-8 ring-indigo-50/50">
          <Icon className="size-6 text-indigo-600" aria-hidden="true" />
        </span>
        <h2 className="mt-5 text-lg font-semibold text-slate-900">{title}</h2>
        <p className="mt-1.5 max-w-xl text-sm leading-6 text-slate-500">{description}</p>
      </div>
      {steps.length > 0 ? (
        <ol className="space-y-6 px-6 py-6 sm:px-10">
          {steps.map((step, i) => (
            <li key={step.title} className="flex gap-4">
              <span className="flex size-6 shrink-0 items-center justify-center rounded-full bg-indigo-600 text-xs font-semibold text-white">
                {i + 1}
              </span>
              <div className="min-w-0 flex-1 space-y-2">
                <h3 className="text-sm font-semibold text-slate-900">{step.title}</h3>
                {step.body ? <div className="text-sm leading-6 text-slate-600">{step.body}</div> : null}
                {step.command ? <CodeBlock code={step.command} /> : null}
              </div>
            </li>
          ))}
        </ol>
      ) : null}
      {footer ? (
        <div className="border-t border-slate-100 bg-slate-50/60 px-6 py-4 text-sm text-slate-600 sm:px-10">
          {footer}
        </div>
      ) : null}
    </section>
  );
}
