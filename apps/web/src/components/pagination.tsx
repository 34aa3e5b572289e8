import { ChevronLeft, ChevronRight } from 'lucide-react';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { buttonStyles } from './button';

const disabled = `${buttonStyles.secondary} pointer-events-none opacity-50`;

/** The cursor stack a keyset-paged list keeps in its URL. */
export interface CursorParams {
  cursor: string | null;
  /** Cursors of the pages before this one ('' for the first), for "Previous". */
  prev: string[];
}

function PageLink({ href, children }: { href: string | null; children: ReactNode }) {
  return href ? (
    <Link href={href} className={buttonStyles.secondary}>
      {children}
    </Link>
  ) : (
    <span className={disabled} aria-disabled="true">
      {children}
    </span>
  );
}

/**
 * Keyset paging for a list that lives in the URL: Next carries the cursor core returned and
 * pushes this page's cursor; Previous pops the stack. `href` turns a cursor change into the
 * list's URL. With nothing to page and no `summary`, it renders nothing.
 */
export function Pagination({
  params,
  nextCursor,
  href,
  summary,
  testId,
}: {
  params: CursorParams;
  nextCursor: string | null;
  href: (change: CursorParams) => string;
  /** Text on the left, e.g. "Showing 1–50 of 312". */
  summary?: ReactNode;
  testId?: string;
}) {
  const prevHref = params.cursor ? href({ cursor: params.prev.at(-1) || null, prev: params.prev.slice(0, -1) }) : null;
  const nextHref = nextCursor ? href({ cursor: nextCursor, prev: [...params.prev, params.cursor ?? ''] }) : null;
  if (!summary && !prevHref && !nextHref) return null;
  return (
    <nav
      aria-label="Pagination"
      className={`flex flex-wrap items-center ${summary ? 'justify-between' : 'justify-end'} gap-3 border-t border-slate-200 px-5 py-3`}
      data-testid={testId}
    >
      {summary ? <p className="text-sm text-slate-600">{summary}</p> : null}
      <div className="flex gap-2">
        <PageLink href={prevHref}>
          <ChevronLeft className="size-4" aria-hidden="true" /> Previous
        </PageLink>
        <PageLink href={nextHref}>
          Next <ChevronRight className="size-4" aria-hidden="true" />
        </PageLink>
      </div>
    </nav>
  );
}
