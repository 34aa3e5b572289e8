import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { Logo } from '@/components/logo';
import { safeNext } from '@/lib/format';
import { getCaller } from '@/server/caller';
import { SignInForm } from './_components/sign-in-form';

export const metadata: Metadata = { title: 'Sign in · EdgeFleet' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const { next: rawNext } = await searchParams;
  const next = safeNext(typeof rawNext === 'string' ? rawNext : undefined);
  const { principal } = await getCaller();
  if (principal) redirect(next);

  return (
    <main className="flex min-h-screen flex-col items-center justify-center bg-gradient-to-b from-slate-50 to-slate-100 px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-8 flex flex-col items-center text-center">
          <Logo />
          <p className="mt-3 text-sm text-slate-500">Control plane for fleets of edge AI devices</p>
        </div>
        <div className="rounded-xl bg-white px-6 py-7 shadow-sm ring-1 ring-slate-200 sm:px-8">
          <h1 className="text-lg font-semibold text-slate-900">Sign in to your fleet</h1>
          <p className="mt-1 text-sm text-slate-500">Use the account your administrator created for you.</p>
          <SignInForm next={next} />
        </div>
        <p className="mt-6 text-center text-xs text-slate-400">
          No account? Ask an admin to add you in Settings → Users.
        </p>
      </div>
    </main>
  );
}
