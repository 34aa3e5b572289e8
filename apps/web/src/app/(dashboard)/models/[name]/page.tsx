import { TRPCError } from '@trpc/server';
import { Rocket } from 'lucide-react';
import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { Alert } from '@/components/alert';
import { BackLink } from '@/components/back-link';
import { Badge } from '@/components/badge';
import { buttonStyles } from '@/components/button';
import { Card, CardHeader } from '@/components/card';
import { NotAllowed } from '@/components/not-allowed';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { VersionDetails } from './_components/version-details';
import { VersionsTable } from './_components/versions-table';
import { WhereItRuns } from './_components/where-it-runs';

export const metadata: Metadata = { title: 'Model · EdgeFleet' };

export default async function ModelPage({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  const { caller } = await getCaller();
  const modelName = decodeURIComponent(name);
  const missing = (e: unknown): never => {
    if (e instanceof TRPCError && (e.code === 'NOT_FOUND' || e.code === 'BAD_REQUEST')) notFound();
    throw e;
  };
  const [me, result, deployments] = await Promise.all([
    caller.system.whoami(),
    guarded(() => caller.models.get({ name: modelName }).catch(missing)),
    guarded(() => caller.models.deployments({ name: modelName }).catch(missing)),
  ]);
  if (result.forbidden) {
    return <NotAllowed title="You can't view models">Your role does not include the models:read scope.</NotAllowed>;
  }
  const m = result.data;
  const latest = m.versions[0];
  const canRollOut = me.scopes.includes('rollouts:write');
  // The newest version that may be rolled out (not signed by a revoked key, signature intact).
  const rollable = m.versions.find((v) => !v.publisherKey.revoked && v.signatureVerified);
  const revokedSigned = m.versions.filter((v) => v.publisherKey.revoked).map((v) => v.version);

  return (
    <>
      <BackLink href="/models">Models</BackLink>
      <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-3">
            <h1 className="truncate text-2xl font-semibold tracking-tight text-slate-900" data-testid="model-name">
              {m.name}
            </h1>
            {latest ? (
              <Badge tone="green" mono>
                latest {latest.version}
              </Badge>
            ) : null}
            {m.task ? <Badge>{m.task}</Badge> : null}
          </div>
          {m.description ? <p className="mt-1 max-w-2xl text-sm text-slate-500">{m.description}</p> : null}
        </div>
        {canRollOut && rollable ? (
          <Link
            href={`/rollouts/new?${new URLSearchParams({ model: m.name, version: rollable.version })}`}
            className={buttonStyles.primary}
          >
            <Rocket className="size-4" aria-hidden="true" />
            Roll out {rollable.version}
          </Link>
        ) : null}
      </div>

      {revokedSigned.length > 0 ? (
        <div className="mb-6" data-testid="revoked-note">
          <Alert tone="warning">
            {revokedSigned.join(', ')} {revokedSigned.length === 1 ? 'was' : 'were'} signed by a revoked publisher key
            and can no longer be rolled out.
          </Alert>
        </div>
      ) : null}

      <div className="space-y-6">
        <Card>
          <CardHeader
            title="Versions"
            description="Newest first. Signatures are re-verified against the publisher key from the stored signed metadata."
          />
          {m.versions.length === 0 ? (
            <p className="px-5 py-10 text-center text-sm text-slate-500" data-testid="versions-empty">
              No published version yet. A version appears here once all of its artifacts have been uploaded.
            </p>
          ) : (
            <VersionsTable versions={m.versions} />
          )}
        </Card>
        {m.versions.length > 0 && !deployments.forbidden ? (
          <Card>
            <CardHeader
              title="Where it runs"
              description="Devices that report serving each version, and devices whose desired state names it."
            />
            <WhereItRuns model={m.name} versions={m.versions} deployments={deployments.data} canRollOut={canRollOut} />
          </Card>
        ) : null}
        {m.versions.map((v, i) => (
          <VersionDetails key={v.version} version={v} open={i === 0} />
        ))}
      </div>
    </>
  );
}
