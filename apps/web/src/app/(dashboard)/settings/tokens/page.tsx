import type { Metadata } from 'next';
import { NotAllowed } from '@/components/not-allowed';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { TokensPanel } from './_components/tokens-panel';

export const metadata: Metadata = { title: 'API tokens · EdgeFleet' };

export default async function TokensPage() {
  const { caller } = await getCaller();
  const [me, tokens] = await Promise.all([caller.system.whoami(), guarded(() => caller.tokens.list())]);
  if (tokens.forbidden) {
    return <NotAllowed title="You can't view API tokens">Your role does not include the tokens:read scope.</NotAllowed>;
  }
  return (
    <TokensPanel
      initialTokens={tokens.data}
      grantableScopes={me.scopes}
      canWrite={me.scopes.includes('tokens:write')}
      role={me.role}
      seesAll={me.scopes.includes('users:write')}
    />
  );
}
