import { ShieldCheck } from 'lucide-react';
import type { Metadata } from 'next';
import { headers } from 'next/headers';
import { Alert } from '@/components/alert';
import { BackLink } from '@/components/back-link';
import { Card, CardHeader } from '@/components/card';
import { CopyButton } from '@/components/copy-button';
import { NotAllowed } from '@/components/not-allowed';
import { PageHeader } from '@/components/page-header';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { hostFromHeader } from '../_components/agent-command';
import { CreateEnrollTokenForm } from './_components/create-enroll-token-form';
import { EnrollTokensTable } from './_components/enroll-tokens-table';
import { PreauthorizeForm } from './_components/preauthorize-form';

export const metadata: Metadata = { title: 'Enroll devices · EdgeFleet' };

export default async function EnrollPage() {
  const { caller } = await getCaller();
  const [me, tokens, info] = await Promise.all([
    caller.system.whoami(),
    guarded(() => caller.enrollTokens.list()),
    caller.system.info().catch(() => null),
  ]);
  if (tokens.forbidden) {
    return (
      <NotAllowed title="You can't view enrollment tokens">
        Your role does not include the devices:read scope.
      </NotAllowed>
    );
  }
  const canWrite = me.scopes.includes('devices:write');
  const host = hostFromHeader((await headers()).get('host'));
  const fingerprint = info?.caFingerprint ?? null;

  return (
    <>
      <BackLink href="/devices">Devices</BackLink>
      <PageHeader
        title="Enroll devices"
        description="Create an enrollment token, run the agent on the device with it, and approve the device if the token asks for approval."
      />
      <div className="space-y-6">
        {fingerprint ? (
          <div
            className="flex flex-wrap items-center gap-3 rounded-lg bg-white px-5 py-3 shadow-sm ring-1 ring-slate-200"
            data-testid="enroll-ca-fingerprint"
          >
            <ShieldCheck className="size-5 text-emerald-600" aria-hidden="true" />
            <span className="text-sm font-medium text-slate-700">Fleet CA fingerprint (SHA-256)</span>
            <code className="min-w-0 flex-1 font-mono text-xs break-all text-slate-600">{fingerprint}</code>
            <CopyButton text={fingerprint} label="Copy CA fingerprint" className="text-slate-600 hover:bg-slate-100" />
          </div>
        ) : null}
        {canWrite ? (
          <CreateEnrollTokenForm host={host} devicePort={info?.devicePort ?? 8443} fingerprint={fingerprint} />
        ) : (
          <Alert tone="info" data-testid="read-only-note">
            Your role (<strong className="font-semibold">{me.role}</strong>) is read-only: you can see enrollment tokens
            but cannot create or revoke them, or pre-authorize devices.
          </Alert>
        )}
        <Card>
          <CardHeader
            title="Enrollment tokens"
            description="Only a prefix of each token is kept in the clear; the token itself is shown once, when it is created."
          />
          <EnrollTokensTable initialTokens={tokens.data} canWrite={canWrite} />
        </Card>
        {canWrite ? <PreauthorizeForm /> : null}
      </div>
    </>
  );
}
