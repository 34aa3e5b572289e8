'use client';

import { TriangleAlert } from 'lucide-react';
import type { ReactNode } from 'react';
import { buttonStyles } from '@/components/button';
import { CopyButton } from '@/components/copy-button';

/**
 * A secret the server keeps only hashed or sealed, shown once after it is created.
 * Test ids: `${testId}-box` on the panel, `${testId}` on the secret itself.
 */
export function OneTimeSecret({
  title,
  description,
  secret,
  copyLabel,
  testId,
  onDismiss,
  children,
}: {
  title: ReactNode;
  description: ReactNode;
  secret: string;
  copyLabel: string;
  testId: string;
  onDismiss: () => void;
  /** Shown between the secret and the dismiss button, e.g. the command that uses it. */
  children?: ReactNode;
}) {
  return (
    <div className="rounded-lg bg-amber-50 p-4 ring-1 ring-amber-300 ring-inset" data-testid={`${testId}-box`}>
      <div className="flex items-start gap-3">
        <TriangleAlert className="mt-0.5 size-5 shrink-0 text-amber-500" aria-hidden="true" />
        <div className="min-w-0 flex-1">
          <h3 className="text-sm font-semibold text-amber-900">{title}</h3>
          <p className="mt-1 text-sm text-amber-800">{description}</p>
          <div className="mt-3 flex items-center gap-2 rounded-md bg-white px-3 py-2 ring-1 ring-amber-200">
            <code className="min-w-0 flex-1 font-mono text-sm break-all text-slate-900" data-testid={testId}>
              {secret}
            </code>
            <CopyButton
              text={secret}
              label={copyLabel}
              className="shrink-0 bg-indigo-600 text-white hover:bg-indigo-500"
            />
          </div>
          {children}
          <div className="mt-3 flex justify-end">
            <button type="button" className={buttonStyles.secondary} onClick={onDismiss}>
              I’ve copied it
            </button>
          </div>
        </div>
      </div>
    </div>
  );
}
