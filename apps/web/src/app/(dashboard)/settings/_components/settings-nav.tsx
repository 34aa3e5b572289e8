'use client';

import { KeyRound, KeySquare, ScrollText, SlidersHorizontal, Users } from 'lucide-react';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

const ITEMS = [
  { href: '/settings', label: 'General', icon: SlidersHorizontal },
  { href: '/settings/tokens', label: 'API tokens', icon: KeyRound },
  { href: '/settings/publisher-keys', label: 'Publisher keys', icon: KeySquare },
  { href: '/settings/users', label: 'Users', icon: Users },
  { href: '/settings/audit', label: 'Audit log', icon: ScrollText },
] as const;

export function SettingsNav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Settings" className="-mt-2 flex gap-6 overflow-x-auto border-b border-slate-200">
      {ITEMS.map(({ href, label, icon: Icon }) => {
        const active = pathname === href;
        return (
          <Link
            key={href}
            href={href}
            aria-current={active ? 'page' : undefined}
            className={`-mb-px flex items-center gap-2 border-b-2 px-1 pt-2 pb-3 text-sm font-medium whitespace-nowrap transition-colors ${
              active
                ? 'border-indigo-600 text-indigo-700'
                : 'border-transparent text-slate-500 hover:border-slate-300 hover:text-slate-800'
            }`}
          >
            <Icon className={`size-4 ${active ? 'text-indigo-600' : 'text-slate-400'}`} aria-hidden="true" />
            {label}
          </Link>
        );
      })}
    </nav>
  );
}
