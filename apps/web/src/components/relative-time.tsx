'use client';

import { useSyncExternalStore } from 'react';
import { formatDateTime, timeAgo } from '@/lib/format';

/**
 * One clock for every relative time on the page, ticking every 15 s: a list of 50 "last seen"
 * cells shares one timer, not 50.
 */
const TICK_MS = 15_000;
let now = typeof window === 'undefined' ? 0 : Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(listener: () => void) {
  listeners.add(listener);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/**
 * The browser's clock, ticking. `serverNow` (the request time) is used for the server render
 * and hydration, so both print the same text; the browser clock takes over right after.
 */
export function useClock(serverNow: number): number {
  return useSyncExternalStore(
    subscribe,
    () => now || serverNow,
    () => serverNow,
  );
}

/** "3 min ago", with the exact UTC time on hover; `prefix` reads e.g. "last seen". */
export function RelativeTime({
  date,
  serverNow,
  never = 'never',
  prefix,
  className,
}: {
  date: Date | string | null | undefined;
  serverNow: number;
  never?: string;
  prefix?: string;
  className?: string;
}) {
  const current = useClock(serverNow);
  if (!date) return <span className={className}>{never}</span>;
  const d = typeof date === 'string' ? new Date(date) : date;
  return (
    <time dateTime={d.toISOString()} title={formatDateTime(d)} className={className}>
      {prefix ? `${prefix} ` : ''}
      {timeAgo(d, current)}
    </time>
  );
}
