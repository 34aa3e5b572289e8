'use client';

import { TriangleAlert } from 'lucide-react';
import { buttonStyles } from '@/components/button';
import { CodeBlock } from '@/components/code-block';
import { CopyButton } from '@/components/copy-button';

/** The new enrollment token and the command that uses it. Only its hash is stored: this is the one time it is shown. */
export function EnrollTokenSecret({
  name,
  token,
  command,
  onDismiss,
}: {
  name: string;
  token: string;
  command: string;
  onDismiss: () => void;
}) {
  return (
    <div className="rounded-lg bg-amber-50 p-4 ring-1 ring-amber-300 ring-inset" data-testid="enroll-token-secret-box">
      <div className="flex items-start gap-3">
        <TriangleAlert className="mt-0.5 size-5 shrink-0 text-amber-500" aria-hidden="true" />
        <div className="min-w-0 flex-1">
          <h3 className="text-sm font-semibold text-amber-900">Enrollment token “{name}” created — copy it now</h3>
          <p className="mt-1 text-sm text-amber-800">
            This is the only time the token is shown. Anyone holding it can enroll devices under its policy until it
            expires, is used up or is revoked.
          </p>
          <div className="mt-3 flex items-center gap-2 rounded-md bg-white px-3 py-2 ring-1 ring-amber-200">
            <code
              className="min-w-0 flex-1 font-mono text-sm break-all text-slate-900"
              data-testid="enroll-token-secret"
            >
              {token}
            </code>
            <CopyButton
              text={token}
              label="Copy enrollment token"
              className="shrink-0 bg-indigo-600 text-white hover:bg-indigo-500"
            />
          </div>
          <p className="mt-4 mb-2 text-sm font-medium text-amber-900">Run this on the device:</p>
          <div data-testid="agent-command">
            <CodeBlock code={command} label="edgefleet-agent enroll" />
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
