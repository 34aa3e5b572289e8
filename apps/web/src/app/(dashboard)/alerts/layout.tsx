import type { ReactNode } from 'react';
import { PageHeader } from '@/components/page-header';
import { AlertsNav } from './_components/alerts-nav';

export default function AlertsLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <PageHeader
        title="Alerts"
        description="What is wrong in the fleet right now, the rules that decide it, and where notifications go."
      />
      <AlertsNav />
      <div className="mt-6">{children}</div>
    </>
  );
}
