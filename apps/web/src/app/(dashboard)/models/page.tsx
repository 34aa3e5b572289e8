import { KeyRound } from 'lucide-react';
import type { Metadata } from 'next';
import Link from 'next/link';
import { buttonStyles } from '@/components/button';
import { Card } from '@/components/card';
import { NotAllowed } from '@/components/not-allowed';
import { PageHeader } from '@/components/page-header';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { ModelsEmpty } from './_components/models-empty';
import { ModelsTable } from './_components/models-table';

export const metadata: Metadata = { title: 'Models · EdgeFleet' };

export default async function ModelsPage() {
  const { caller } = await getCaller();
  const models = await guarded(() => caller.models.list());
  if (models.forbidden) {
    return <NotAllowed title="You can't view models">Your role does not include the models:read scope.</NotAllowed>;
  }
  return (
    <>
      <PageHeader
        title="Models"
        description="The model registry: every published model version, its signed metadata, size and variants."
        actions={
          <Link href="/settings/publisher-keys" className={buttonStyles.secondary}>
            <KeyRound className="size-4" aria-hidden="true" />
            Publisher keys
          </Link>
        }
      />
      {models.data.length === 0 ? (
        <ModelsEmpty />
      ) : (
        <Card>
          <ModelsTable models={models.data} now={Date.now()} />
        </Card>
      )}
    </>
  );
}
