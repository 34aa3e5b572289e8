import { ChevronLeft, ChevronRight } from 'lucide-react';
import Link from 'next/link';
import { buttonStyles } from '@/components/button';
import { type ListParams, listHref, PAGE_SIZE } from './list-params';

const disabled = `${buttonStyles.secondary} pointer-events-none opacity-50`;

/** Keyset paging: Next carries the cursor core returned; Previous pops the cursor stack kept in the URL. */
export function Pagination({
  params,
  nextCursor,
  shown,
  total,
}: {
  params: ListParams;
  nextCursor: string | null;
  shown: number;
  total: number;
}) {
  const page = params.cursor ? params.prev.length + 1 : 1;
  const from = (page - 1) * PAGE_SIZE + 1;
  const prevHref =
    page > 1 ? listHref(params, { cursor: params.prev.at(-1) || null, prev: params.prev.slice(0, -1) }) : null;
  const nextHref = nextCursor
    ? listHref(params, { cursor: nextCursor, prev: [...params.prev, params.cursor ?? ''] })
    : null;
  return (
    <nav
      aria-label="Pagination"
      className="flex flex-wrap items-center justify-between gap-3 border-t border-slate-200 px-5 py-3"
      data-testid="device-pagination"
    >
      <p className="text-sm text-slate-600">
        {shown === 0 ? (
          'No devices'
        ) : (
          <>
            Showing <span className="font-medium tabular-nums">{from.toLocaleString('en-US')}</span>–
            <span className="font-medium tabular-nums">{(from + shown - 1).toLocaleString('en-US')}</span> of{' '}
            <span className="font-medium tabular-nums">{total.toLocaleString('en-US')}</span>
          </>
        )}
      </p>
      <div className="flex gap-2">
        {prevHref ? (
          <Link href={prevHref} className={buttonStyles.secondary}>
            <ChevronLeft className="size-4" aria-hidden="true" /> Previous
          </Link>
        ) : (
          <span className={disabled} aria-disabled="true">
            <ChevronLeft className="size-4" aria-hidden="true" /> Previous
          </span>
        )}
        {nextHref ? (
          <Link href={nextHref} className={buttonStyles.secondary}>
            Next <ChevronRight className="size-4" aria-hidden="true" />
          </Link>
        ) : (
          <span className={disabled} aria-disabled="true">
            Next <ChevronRight className="size-4" aria-hidden="true" />
          </span>
        )}
      </div>
    </nav>
  );
}
