import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { RoleBadge } from '@/components/badge';
import { Logo } from '@/components/logo';
import { TRPCReactProvider } from '@/lib/trpc';
import { getCaller } from '@/server/caller';
import { SidebarNav } from './_components/sidebar-nav';
import { SignOutButton } from './_components/sign-out-button';

/** The signed-in shell. The redirect is a convenience; each page still asks its procedures. */
export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const { principal } = await getCaller();
  if (!principal) redirect('/sign-in');

  return (
    <TRPCReactProvider>
      <div className="flex min-h-screen">
        <div className="hidden w-64 shrink-0 border-r border-slate-200 bg-white lg:block">
          <aside className="sticky top-0 flex h-screen flex-col">
            <div className="flex h-16 shrink-0 items-center border-b border-slate-100 px-6">
              <Logo />
            </div>
            <SidebarNav />
            <div className="border-t border-slate-100 px-6 py-4 text-xs text-slate-400">EdgeFleet control plane</div>
          </aside>
        </div>

        <div className="min-w-0 flex-1">
          <header className="sticky top-0 z-10 border-b border-slate-200 bg-white/90 backdrop-blur">
            <div className="flex h-16 items-center justify-between gap-4 px-4 sm:px-6 lg:px-8">
              <div className="lg:hidden">
                <Logo />
              </div>
              <div className="hidden lg:block" />
              <div className="flex items-center gap-3" data-testid="user-menu">
                <div className="hidden text-right sm:block">
                  <div className="text-sm font-medium text-slate-900" data-testid="user-email">
                    {principal.email}
                  </div>
                </div>
                <RoleBadge role={principal.role} />
                <span className="h-6 w-px bg-slate-200" aria-hidden="true" />
                <SignOutButton />
              </div>
            </div>
            <div className="border-t border-slate-100 lg:hidden">
              <SidebarNav horizontal />
            </div>
          </header>

          <main className="mx-auto max-w-7xl px-4 py-8 sm:px-6 lg:px-8">{children}</main>
        </div>
      </div>
    </TRPCReactProvider>
  );
}
