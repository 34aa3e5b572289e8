'use client';

import { useQuery } from '@tanstack/react-query';
import { Alert } from '@/components/alert';
import { Card, CardHeader } from '@/components/card';
import type { TokenView } from '@/lib/router-types';
import { useTRPC } from '@/lib/trpc';
import { CreateTokenForm } from './create-token-form';
import { TokensTable } from './tokens-table';

export function TokensPanel({
  initialTokens,
  grantableScopes,
  canWrite,
  role,
  seesAll,
}: {
  initialTokens: TokenView[];
  grantableScopes: string[];
  canWrite: boolean;
  role: string;
  seesAll: boolean;
}) {
  const trpc = useTRPC();
  const tokens = useQuery({ ...trpc.tokens.list.queryOptions(), initialData: initialTokens });

  return (
    <div className="space-y-6">
      {canWrite ? (
        <CreateTokenForm grantableScopes={grantableScopes} />
      ) : (
        <Alert tone="info" data-testid="read-only-note">
          Your role (<strong className="font-semibold">{role}</strong>) is read-only: you can see tokens but cannot
          create or revoke them. Ask an admin if you need a token for the CLI or CI.
        </Alert>
      )}
      <Card>
        <CardHeader
          title="API tokens"
          description={
            seesAll
              ? 'Every token in the fleet. Tokens authenticate the CLI and CI pipelines with the scopes they were given.'
              : 'Your tokens. They authenticate the CLI and CI pipelines with the scopes they were given.'
          }
        />
        <TokensTable tokens={tokens.data} canWrite={canWrite} />
      </Card>
    </div>
  );
}
