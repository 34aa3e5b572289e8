'use client';

import type { LucideIcon } from 'lucide-react';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

export interface SubNavItem {
  href: string;
  label: string;
  icon: LucideIcon;
}

/** Tabs under a section's page header (Settings, Alerts); the tab whose href is the current path is active. */
export function SubNav({ label, items }: { label: string; items: readonly SubNavItem[] }) {
  const pathname = usePathname();
  return (
    <nav aria-label={label} className="-mt-2 flex gap-6 overflow-x-auto border-b border-slate-200">
      {items.map(({ href, label: itemLabel, icon: Icon }) => {
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
            {itemLabel}
          </Link>
        );
      })}
    </nav>
  );
}
