import type { Metadata } from 'next';
import { NotAllowed } from '@/components/not-allowed';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';
import { AuditLog } from './_components/audit-log';
import { PAGE_SIZE } from './_components/page-size';

export const metadata: Metadata = { title: 'Audit log · EdgeFleet' };

export default async function AuditPage() {
  const { caller } = await getCaller();
  const first = await guarded(() => caller.audit.list({ limit: PAGE_SIZE }));
  if (first.forbidden) {
    return (
      <NotAllowed title="Only admins can read the audit log">
        The audit log records every change and sign-in across the fleet; it needs the audit:read scope.
      </NotAllowed>
    );
  }
  return <AuditLog initialPage={first.data} />;
}
