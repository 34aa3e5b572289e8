'use client';

import { Activity, Bell, Boxes, Cpu, Rocket, Settings } from 'lucide-react';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

const ITEMS = [
  { href: '/devices', label: 'Devices', icon: Cpu },
  { href: '/models', label: 'Models', icon: Boxes },
  { href: '/rollouts', label: 'Rollouts', icon: Rocket },
  { href: '/health', label: 'Health', icon: Activity },
  { href: '/alerts', label: 'Alerts', icon: Bell },
  { href: '/settings', label: 'Settings', icon: Settings },
] as const;

export function SidebarNav({ horizontal = false }: { horizontal?: boolean }) {
  const pathname = usePathname();
  return (
    <nav
      aria-label="Main"
      className={horizontal ? 'flex gap-1 overflow-x-auto px-3 py-2' : 'flex-1 space-y-1 overflow-y-auto px-3 py-4'}
    >
      {ITEMS.map(({ href, label, icon: Icon }) => {
        const active = pathname === href || pathname.startsWith(`${href}/`);
        return (
          <Link
            key={href}
            href={href}
            aria-current={active ? 'page' : undefined}
            className={`group flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium whitespace-nowrap transition-colors ${
              active ? 'bg-indigo-50 text-indigo-700' : 'text-slate-600 hover:bg-slate-50 hover:text-slate-900'
            }`}
          >
            <Icon
              className={`size-4.5 shrink-0 ${active ? 'text-indigo-600' : 'text-slate-400 group-hover:text-slate-500'}`}
              aria-hidden="true"
            />
            {label}
          </Link>
        );
      })}
    </nav>
  );
}
