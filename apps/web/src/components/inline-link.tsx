import Link from 'next/link';
import type { ReactNode } from 'react';

export function InlineLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <Link href={href} className="font-medium text-indigo-600 underline-offset-2 hover:text-indigo-500 hover:underline">
      {children}
    </Link>
  );
}
