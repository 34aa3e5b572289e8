import { useEffect, useState } from 'react';

/**
 * The time relative times are computed against: the server's request time for the first render
 * (so server and browser print the same text), then the browser clock, ticking.
 */
export function useNow(serverNow: number, everyMs = 10_000): number {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
