'use client';

import { useMutation } from '@tanstack/react-query';
import { Ban, Check, LoaderCircle, PowerOff, X } from 'lucide-react';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { buttonStyles } from '@/components/button';
import { useTRPC } from '@/lib/trpc';

export type DeviceAction = 'approve' | 'reject' | 'revoke' | 'decommission';

const ACTIONS: Record<
  DeviceAction,
  { label: string; busy: string; icon: typeof Check; danger: boolean; confirm: string | null }
> = {
  approve: { label: 'Approve', busy: 'Approving…', icon: Check, danger: false, confirm: null },
  reject: {
    label: 'Reject',
    busy: 'Rejecting…',
    icon: X,
    danger: true,
    confirm: 'It gets no certificate and must enroll again with a new key.',
  },
  revoke: {
    label: 'Revoke',
    busy: 'Revoking…',
    icon: Ban,
    danger: true,
    confirm: 'Its certificates stop working at once and a live connection is closed.',
  },
  decommission: {
    label: 'Decommission',
    busy: 'Decommissioning…',
    icon: PowerOff,
    danger: true,
    confirm: 'The device is retired for good; its certificates are revoked.',
  },
};

/** One lifecycle action. Dangerous ones ask first; on success the server page re-renders. */
export function DeviceActionButton({
  id,
  name,
  action,
  compact = false,
}: {
  id: string;
  name: string;
  action: DeviceAction;
  compact?: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const a = ACTIONS[action];
  const mutation = useMutation(
    trpc.devices[action].mutationOptions({
      onSuccess: () => {
        setConfirming(false);
        router.refresh();
      },
    }),
  );
  const Icon = mutation.isPending ? LoaderCircle : a.icon;
  const iconClass = `size-3.5 ${mutation.isPending ? 'animate-spin' : ''}`;
  const small = compact || a.danger;

  if (confirming && a.confirm) {
    return (
      <div className="flex flex-col items-end gap-1.5" data-testid={`confirm-${action}`}>
        {/* In a table row there is room for the question only; the detail page explains the consequence. */}
        <span className={`text-right text-xs text-slate-600 ${compact ? '' : 'max-w-64'}`} title={a.confirm}>
          {a.label} “{name}”?{compact ? '' : ` ${a.confirm}`}
        </span>
        <div className="flex gap-1.5">
          <button
            type="button"
            className={buttonStyles.small}
            onClick={() => setConfirming(false)}
            disabled={mutation.isPending}
          >
            Cancel
          </button>
          <button
            type="button"
            className={buttonStyles.dangerSolid}
            disabled={mutation.isPending}
            onClick={() => mutation.mutate({ id })}
          >
            <Icon className={iconClass} aria-hidden="true" />
            {mutation.isPending ? a.busy : compact ? 'Confirm' : `Confirm ${a.label.toLowerCase()}`}
          </button>
        </div>
        {mutation.error ? (
          <span role="alert" className="text-xs text-red-700">
            {mutation.error.message}
          </span>
        ) : null}
      </div>
    );
  }

  const style = a.danger
    ? compact
      ? buttonStyles.dangerSmall
      : buttonStyles.dangerOutline
    : small
      ? `${buttonStyles.small} text-emerald-700 ring-emerald-300 hover:bg-emerald-50`
      : buttonStyles.primary;
  return (
    <span className="inline-flex flex-col items-end gap-1">
      <button
        type="button"
        className={style}
        disabled={mutation.isPending}
        onClick={() => (a.confirm ? setConfirming(true) : mutation.mutate({ id }))}
      >
        <Icon className={iconClass} aria-hidden="true" />
        {mutation.isPending ? a.busy : a.label}
      </button>
      {mutation.error ? (
        <span role="alert" className="text-xs text-red-700">
          {mutation.error.message}
        </span>
      ) : null}
    </span>
  );
}
