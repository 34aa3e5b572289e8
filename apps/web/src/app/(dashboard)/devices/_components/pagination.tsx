import { Pagination } from '@/components/pagination';
import { type ListParams, listHref, PAGE_SIZE } from './list-params';

/** The devices list's pager, with where this page stands in the filtered fleet. */
export function DevicePagination({
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
  return (
    <Pagination
      params={params}
      nextCursor={nextCursor}
      href={(change) => listHref(params, change)}
      testId="device-pagination"
      summary={
        shown === 0 ? (
          'No devices'
        ) : (
          <>
            Showing <span className="font-medium tabular-nums">{from.toLocaleString('en-US')}</span>–
            <span className="font-medium tabular-nums">{(from + shown - 1).toLocaleString('en-US')}</span> of{' '}
            <span className="font-medium tabular-nums">{total.toLocaleString('en-US')}</span>
          </>
        )
      }
    />
  );
}
