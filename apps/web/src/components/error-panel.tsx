'use client';

import { RotateCw, TriangleAlert } from 'lucide-react';
import { useEffect } from 'react';
import { buttonStyles } from './button';

/** Body of the error.tsx boundaries: what failed, a reference for the server log, and retry. */
export function ErrorPanel({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  // Server errors arrive with a generic message in production; say something useful instead.
  const message =
    error instanceof Error && error.message && !digest ? error.message : 'The server could not load this page.';

  return (
    <div
      role="alert"
      data-testid="error-boundary"
      className="flex flex-col items-center rounded-lg bg-white px-6 py-12 text-center shadow-sm ring-1 ring-slate-200"
    >
      <span className="flex size-11 items-center justify-center rounded-full bg-red-50">
        <TriangleAlert className="size-5 text-red-500" aria-hidden="true" />
      </span>
      <h2 className="mt-4 text-base font-semibold text-slate-900">Something went wrong</h2>
      <p className="mt-1 max-w-md text-sm text-slate-500">{message}</p>
      {digest ? <p className="mt-2 font-mono text-xs text-slate-400">Reference: {digest}</p> : null}
      <button type="button" className={`${buttonStyles.primary} mt-6`} onClick={() => retry()}>
        <RotateCw className="size-4" aria-hidden="true" />
        Try again
      </button>
    </div>
  );
}
