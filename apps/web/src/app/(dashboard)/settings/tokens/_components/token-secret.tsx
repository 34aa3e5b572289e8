'use client';

import { OneTimeSecret } from '@/components/one-time-secret';

/** The new token's secret. Only its hash is stored, so this is the one time anyone sees it. */
export function TokenSecret({ name, token, onDismiss }: { name: string; token: string; onDismiss: () => void }) {
  return (
    <OneTimeSecret
      title={<>Token “{name}” created — copy it now</>}
      description="This is the only time the token is shown. It won’t be shown again; if you lose it, revoke it and create a new one."
      secret={token}
      copyLabel="Copy token"
      testId="token-secret"
      onDismiss={onDismiss}
    />
  );
}
