'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { LoaderCircle, Pause, Play } from 'lucide-react';
import { useRouter } from 'next/navigation';
import { buttonStyles } from '@/components/button';
import { ConfirmButton } from '@/components/confirm-button';
import { useTRPC } from '@/lib/trpc';

/** What an operator may do from each status. Rollback also undoes a finished rollout. */
const ACTIONS: Record<string, ('pause' | 'resume' | 'abort' | 'rollback')[]> = {
  running: ['pause', 'abort', 'rollback'],
  paused: ['resume', 'abort', 'rollback'],
  completed: ['rollback'],
  failed: ['rollback'],
  aborted: ['rollback'],
  rolled_back: [],
};

export function RolloutActions({ id, status }: { id: string; status: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  // The page polls while active; after an action refresh at once rather than wait for the next tick.
  const onSuccess = async () => {
    await qc.invalidateQueries({ queryKey: trpc.rollouts.pathKey() });
    router.refresh();
  };
  const pause = useMutation(trpc.rollouts.pause.mutationOptions({ onSuccess }));
  const resume = useMutation(trpc.rollouts.resume.mutationOptions({ onSuccess }));
  const abort = useMutation(trpc.rollouts.abort.mutationOptions({ onSuccess }));
  const rollback = useMutation(trpc.rollouts.rollback.mutationOptions({ onSuccess }));
  const actions = ACTIONS[status] ?? [];
  if (actions.length === 0) return null;
  const plainError = pause.error?.message ?? resume.error?.message;

  return (
    <div className="flex flex-wrap items-start gap-2" data-testid="rollout-actions">
      {actions.includes('pause') ? (
        <button
          type="button"
          className={buttonStyles.secondary}
          disabled={pause.isPending}
          onClick={() => pause.mutate({ id })}
        >
          {pause.isPending ? (
            <LoaderCircle className="size-4 animate-spin" aria-hidden="true" />
          ) : (
            <Pause className="size-4" aria-hidden="true" />
          )}
          {pause.isPending ? 'Pausing…' : 'Pause'}
        </button>
      ) : null}
      {actions.includes('resume') ? (
        <button
          type="button"
          className={buttonStyles.primary}
          disabled={resume.isPending}
          onClick={() => resume.mutate({ id })}
        >
          {resume.isPending ? (
            <LoaderCircle className="size-4 animate-spin" aria-hidden="true" />
          ) : (
            <Play className="size-4" aria-hidden="true" />
          )}
          {resume.isPending ? 'Resuming…' : 'Resume'}
        </button>
      ) : null}
      {actions.includes('abort') ? (
        <ConfirmButton
          label="Abort"
          question="Abort? Devices not yet notified stay on what they run; updated ones keep the new version."
          confirmLabel="Confirm abort"
          busyLabel="Aborting…"
          pending={abort.isPending}
          error={abort.error?.message}
          onConfirm={() => abort.mutate({ id })}
          className={buttonStyles.dangerOutline}
        />
      ) : null}
      {actions.includes('rollback') ? (
        <ConfirmButton
          label="Roll back"
          question="Roll back? Every device that took this version goes back to the one it ran before."
          confirmLabel="Confirm rollback"
          busyLabel="Rolling back…"
          pending={rollback.isPending}
          error={rollback.error?.message}
          onConfirm={() => rollback.mutate({ id })}
          className={buttonStyles.dangerOutline}
        />
      ) : null}
      {plainError ? (
        <span role="alert" className="basis-full text-right text-xs text-red-700">
          {plainError}
        </span>
      ) : null}
    </div>
  );
}
