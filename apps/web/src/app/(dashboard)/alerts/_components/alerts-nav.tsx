'use client';

import { Bell, ListChecks, Webhook } from 'lucide-react';
import { SubNav } from '@/components/sub-nav';

// A client module: lucide icons are components, which cannot cross from the server layout.
const ITEMS = [
  { href: '/alerts', label: 'Alerts', icon: Bell },
  { href: '/alerts/rules', label: 'Rules', icon: ListChecks },
  { href: '/alerts/webhooks', label: 'Webhooks', icon: Webhook },
] as const;

export function AlertsNav() {
  return <SubNav label="Alerts" items={ITEMS} />;
}
