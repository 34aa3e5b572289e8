import type { ReactNode } from 'react';
import { PageHeader } from '@/components/page-header';
import { SettingsNav } from './_components/settings-nav';

export default function SettingsLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <PageHeader
        title="Settings"
        description="Control plane details, API tokens for the CLI and CI, publisher keys for signed models, users and the audit trail."
      />
      <SettingsNav />
      <div className="mt-6">{children}</div>
    </>
  );
}
