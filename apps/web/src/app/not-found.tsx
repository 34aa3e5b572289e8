import Link from 'next/link';
import { buttonStyles } from '@/components/button';
import { LogoMark } from '@/components/logo';

export default function NotFound() {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center px-4 text-center" data-testid="not-found">
      <LogoMark className="size-10" />
      <p className="mt-8 text-sm font-semibold text-indigo-600">404</p>
      <h1 className="mt-2 text-3xl font-semibold tracking-tight text-slate-900">Page not found</h1>
      <p className="mt-3 max-w-md text-sm text-slate-500">
        There is nothing at this address. It may have moved, or the link may be mistyped.
      </p>
      <div className="mt-8 flex gap-3">
        <Link href="/devices" className={buttonStyles.primary}>
          Go to devices
        </Link>
        <Link href="/settings" className={buttonStyles.secondary}>
          Settings
        </Link>
      </div>
    </main>
  );
}
