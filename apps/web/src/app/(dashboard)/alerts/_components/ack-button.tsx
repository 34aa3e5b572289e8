'use client';

import { useMutation } from '@tanstack/react-query';
import { Check, LoaderCircle } from 'lucide-react';
import { useRouter } from 'next/navigation';
import { buttonStyles } from '@/components/button';
import { useTRPC } from '@/lib/trpc';

/** firing → acknowledged: the alert stays open until its condition goes, but people know someone is on it. */
export function AckButton({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const ack = useMutation(trpc.alerts.acknowledge.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <div className="flex flex-col items-end gap-1">
      <button
        type="button"
        className={buttonStyles.small}
        disabled={ack.isPending}
        onClick={() => ack.mutate({ id })}
        data-testid="ack-alert"
      >
        {ack.isPending ? (
          <LoaderCircle className="size-3.5 animate-spin" aria-hidden="true" />
        ) : (
          <Check className="size-3.5" aria-hidden="true" />
        )}
        Acknowledge
      </button>
      {ack.error ? (
        <span role="alert" className="text-xs text-red-700">
          {ack.error.message}
        </span>
      ) : null}
    </div>
  );
}
