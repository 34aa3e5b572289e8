import type { Metadata } from 'next';
import { NotAllowed } from '@/components/not-allowed';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { PublisherKeysPanel } from './_components/publisher-keys-panel';

export const metadata: Metadata = { title: 'Publisher keys · EdgeFleet' };

export default async function PublisherKeysPage() {
  const { caller } = await getCaller();
  const [me, keys] = await Promise.all([caller.system.whoami(), guarded(() => caller.publisherKeys.list())]);
  if (keys.forbidden) {
    return (
      <NotAllowed title="You can't view publisher keys">Your role does not include the models:read scope.</NotAllowed>
    );
  }
  return <PublisherKeysPanel initialKeys={keys.data} canWrite={me.scopes.includes('settings:write')} role={me.role} />;
}
