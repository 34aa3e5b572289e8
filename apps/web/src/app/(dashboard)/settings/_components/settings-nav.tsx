'use client';

import { KeyRound, KeySquare, ScrollText, SlidersHorizontal, Users } from 'lucide-react';
import { SubNav } from '@/components/sub-nav';

// A client module: lucide icons are components, which cannot cross from the server layout.
const ITEMS = [
  { href: '/settings', label: 'General', icon: SlidersHorizontal },
  { href: '/settings/tokens', label: 'API tokens', icon: KeyRound },
  { href: '/settings/publisher-keys', label: 'Publisher keys', icon: KeySquare },
  { href: '/settings/users', label: 'Users', icon: Users },
  { href: '/settings/audit', label: 'Audit log', icon: ScrollText },
] as const;

export function SettingsNav() {
  return <SubNav label="Settings" items={ITEMS} />;
}
