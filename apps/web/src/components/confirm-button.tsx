'use client';

import { useState } from 'react';
import { buttonStyles } from '@/components/button';

/** A destructive action that asks once, in place, before it runs; errors show beside it. */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  busyLabel,
  pending,
  error,
  onConfirm,
  className = buttonStyles.danger,
}: {
  label: string;
  question: string;
  confirmLabel: string;
  busyLabel: string;
  pending: boolean;
  error?: string | undefined;
  onConfirm: () => void;
  /** The first button's look; page-level actions use `buttonStyles.dangerOutline` to match the buttons beside them. */
  className?: string;
}) {
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button type="button" className={className} onClick={() => setConfirming(true)}>
        {label}
      </button>
    );
  }
  return (
    <div className="flex flex-col items-end gap-1.5">
      <span className="text-right text-xs text-slate-600">{question}</span>
      <div className="flex gap-1.5">
        <button type="button" className={buttonStyles.small} onClick={() => setConfirming(false)} disabled={pending}>
          Cancel
        </button>
        <button type="button" className={buttonStyles.dangerSolid} disabled={pending} onClick={onConfirm}>
          {pending ? busyLabel : confirmLabel}
        </button>
      </div>
      {error ? (
        <span role="alert" className="text-xs text-red-700">
          {error}
        </span>
      ) : null}
    </div>
  );
}

/** The part of a `useMutation` result a row's delete button reads (one mutation shared by every row). */
export interface RowMutation {
  isPending: boolean;
  variables?: { id: string } | undefined;
  error: { message: string } | null;
  mutate: (input: { id: string }) => void;
}

/** "Delete" in a table row whose mutation is shared by all rows: busy and errors show on this row only. */
export function DeleteRowButton({ id, question, mutation }: { id: string; question: string; mutation: RowMutation }) {
  const mine = mutation.variables?.id === id;
  return (
    <ConfirmButton
      label="Delete"
      question={question}
      confirmLabel="Delete"
      busyLabel="Deleting…"
      pending={mutation.isPending && mine}
      error={mine ? mutation.error?.message : undefined}
      onConfirm={() => mutation.mutate({ id })}
      className={buttonStyles.dangerSmall}
    />
  );
}
