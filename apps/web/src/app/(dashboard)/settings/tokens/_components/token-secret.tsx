'use client';

import { TriangleAlert } from 'lucide-react';
import { buttonStyles } from '@/components/button';
import { CopyButton } from '@/components/copy-button';

/** The new token's secret. Only its hash is stored, so this is the one time anyone sees it. */
export function TokenSecret({ name, token, onDismiss }: { name: string; token: string; onDismiss: () => void }) {
  return (
    <div className="rounded-lg bg-amber-50 p-4 ring-1 ring-amber-300 ring-inset" data-testid="token-secret-box">
      <div className="flex items-start gap-3">
        <TriangleAlert className="mt-0.5 size-5 shrink-0 text-amber-500" aria-hidden="true" />
        <div className="min-w-0 flex-1">
          <h3 className="text-sm font-semibold text-amber-900">Token “{name}” created — copy it now</h3>
          <p className="mt-1 text-sm text-amber-800">
            This is the only time the token is shown. It won’t be shown again; if you lose it, revoke it and create a
            new one.
          </p>
          <div className="mt-3 flex items-center gap-2 rounded-md bg-white px-3 py-2 ring-1 ring-amber-200">
            <code className="min-w-0 flex-1 font-mono text-sm break-all text-slate-900" data-testid="token-secret">
              {token}
            </code>
            <CopyButton
              text={token}
              label="Copy token"
              className="shrink-0 bg-indigo-600 text-white hover:bg-indigo-500"
            />
          </div>
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
