'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { LoaderCircle, Pin, PinOff } from 'lucide-react';
import { useState } from 'react';
import { buttonStyles, inputStyles } from '@/components/button';
import { useTRPC } from '@/lib/trpc';

/**
 * Pin the device on a version of one model (rollouts then skip it), or remove its own pin. A
 * group's pin is shown, not removable here: it holds every device of the group.
 */
export function PinControl({
  deviceId,
  model,
  pin,
  suggested,
}: {
  deviceId: string;
  model: string;
  /** The pin holding the device on this model; `group` set when it is the group's. */
  pin: { id: string; group: string | null } | null;
  /** The version to offer first: what the device serves, else what it should run. */
  suggested: string | null;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [version, setVersion] = useState(suggested ?? '');
  const [reason, setReason] = useState('');
  const versions = useQuery({ ...trpc.models.get.queryOptions({ name: model }), enabled: editing });
  const onSuccess = async () => {
    setEditing(false);
    await Promise.all([
      qc.invalidateQueries({ queryKey: trpc.devices.models.queryKey({ deviceId }) }),
      qc.invalidateQueries({ queryKey: trpc.pins.list.queryKey({ deviceId }) }),
    ]);
  };
  const set = useMutation(trpc.pins.set.mutationOptions({ onSuccess }));
  const remove = useMutation(trpc.pins.remove.mutationOptions({ onSuccess }));
  const error = set.error?.message ?? remove.error?.message;

  if (pin?.group) return null;
  if (pin) {
    return (
      <span className="inline-flex flex-col items-end gap-1">
        <button
          type="button"
          className={buttonStyles.small}
          disabled={remove.isPending}
          onClick={() => remove.mutate({ id: pin.id })}
        >
          {remove.isPending ? (
            <LoaderCircle className="size-3.5 animate-spin" aria-hidden="true" />
          ) : (
            <PinOff className="size-3.5" aria-hidden="true" />
          )}
          Unpin
        </button>
        {error ? (
          <span role="alert" className="text-xs text-red-700">
            {error}
          </span>
        ) : null}
      </span>
    );
  }
  if (!editing) {
    return (
      <button type="button" className={buttonStyles.small} onClick={() => setEditing(true)}>
        <Pin className="size-3.5" aria-hidden="true" /> Pin
      </button>
    );
  }
  const choices = (versions.data?.versions ?? []).filter((v) => !v.publisherKey.revoked && v.signatureVerified);
  return (
    <form
      className="w-48 space-y-1.5"
      data-testid="pin-form"
      onSubmit={(e) => {
        e.preventDefault();
        set.mutate({ model, version, deviceId, ...(reason.trim() ? { reason: reason.trim() } : {}) });
      }}
    >
      <select
        aria-label={`Pin ${model} to version`}
        value={version}
        onChange={(e) => setVersion(e.target.value)}
        className={`${inputStyles} py-1.5 font-mono text-xs`}
        required
      >
        <option value="" disabled>
          {versions.isPending ? 'Loading versions…' : 'Choose a version'}
        </option>
        {choices.map((v) => (
          <option key={v.version} value={v.version}>
            {v.version}
          </option>
        ))}
      </select>
      <input
        aria-label="Reason"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        placeholder="Reason (optional)"
        maxLength={500}
        className={`${inputStyles} py-1.5 text-xs`}
      />
      <div className="flex justify-end gap-1.5">
        <button type="button" className={buttonStyles.small} onClick={() => setEditing(false)} disabled={set.isPending}>
          Cancel
        </button>
        <button type="submit" className={buttonStyles.smallPrimary} disabled={!version || set.isPending}>
          {set.isPending ? (
            <LoaderCircle className="size-3.5 animate-spin" aria-hidden="true" />
          ) : (
            <Pin className="size-3.5" aria-hidden="true" />
          )}
          {set.isPending ? 'Pinning…' : 'Pin'}
        </button>
      </div>
      {error ? (
        <p role="alert" className="text-xs text-red-700">
          {error}
        </p>
      ) : null}
    </form>
  );
}
