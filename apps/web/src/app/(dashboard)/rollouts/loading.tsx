import { Skeleton } from '@/components/skeleton';

/** Shaped like the list: header, status chips, rows with a progress bar. */
export default function Loading() {
  return (
    <div role="status" aria-busy="true" aria-label="Loading">
      <div className="mb-6 flex items-end justify-between gap-4">
        <div>
          <Skeleton className="h-7 w-40" />
          <Skeleton className="mt-3 h-4 w-96 max-w-full" />
        </div>
        <Skeleton className="h-9 w-32" />
      </div>
      <div className="flex gap-2">
        {['w-14', 'w-20', 'w-18', 'w-22', 'w-18', 'w-18', 'w-24'].map((w, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: static placeholder chips
          <Skeleton key={i} className={`h-7 rounded-full ${w}`} />
        ))}
      </div>
      <div className="mt-4 divide-y divide-slate-100 rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
        {Array.from({ length: 5 }, (_, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: static placeholder rows
          <div key={i} className="flex items-center gap-6 px-4 py-4">
            <div className="w-48 space-y-2">
              <Skeleton className="h-4 w-40" />
              <Skeleton className="h-3 w-28" />
            </div>
            <Skeleton className="h-5 w-16" />
            <div className="flex-1 space-y-2">
              <Skeleton className="h-2.5 w-full rounded-full" />
              <Skeleton className="h-3 w-32" />
            </div>
            <Skeleton className="h-4 w-12" />
            <Skeleton className="h-4 w-24" />
          </div>
        ))}
      </div>
    </div>
  );
}
