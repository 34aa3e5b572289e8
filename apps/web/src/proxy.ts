import { getSessionCookie } from 'better-auth/cookies';
import { type NextRequest, NextResponse } from 'next/server';

/**
 * Sends visitors without a session cookie to the sign-in page. Redirect only: the cookie is not
 * verified here, so real authorisation stays in procedures and pages.
 */
export function proxy(request: NextRequest) {
  if (getSessionCookie(request)) return NextResponse.next();
  const url = request.nextUrl.clone();
  const next = request.nextUrl.pathname + request.nextUrl.search;
  url.pathname = '/sign-in';
  url.search = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
  return NextResponse.redirect(url);
}

export const config = {
  // `/metrics` is for Prometheus, not people: no redirect (EDGEFLEET_METRICS_TOKEN guards it instead).
  matcher: ['/((?!api/|_next/|sign-in|metrics$|favicon\\.ico|.*\\.(?:png|svg|ico|txt)$).*)'],
};
