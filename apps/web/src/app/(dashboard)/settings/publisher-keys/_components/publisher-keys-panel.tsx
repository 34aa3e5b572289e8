'use client';

import { useQuery } from '@tanstack/react-query';
import { Alert } from '@/components/alert';
import { Card, CardHeader } from '@/components/card';
import type { PublisherKeyView } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';
import { AddKeyForm } from './add-key-form';
import { KeysTable } from './keys-table';

export function PublisherKeysPanel({
  initialKeys,
  canWrite,
  role,
}: {
  initialKeys: PublisherKeyView[];
  canWrite: boolean;
  role: string;
}) {
  const trpc = useTRPC();
  const keys = useQuery({ ...trpc.publisherKeys.list.queryOptions(), initialData: initialKeys });

  return (
    <div className="space-y-6">
      {canWrite ? (
        <AddKeyForm />
      ) : (
        <Alert tone="info" data-testid="read-only-note">
          Your role (<strong className="font-semibold">{role}</strong>) is read-only: only an admin can register or
          revoke publisher keys.
        </Alert>
      )}
      <Card>
        <CardHeader
          title="Publisher keys"
          description="Ed25519 public keys whose signatures the control plane accepts on model versions. The private halves stay in CI. Versions signed by a revoked key can no longer be rolled out."
        />
        <KeysTable keys={keys.data} canWrite={canWrite} />
      </Card>
    </div>
  );
}
