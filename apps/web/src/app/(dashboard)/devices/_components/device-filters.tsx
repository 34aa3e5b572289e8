import { Search } from 'lucide-react';
import Link from 'next/link';
import { buttonStyles, inputStyles } from '@/components/button';
import { type ListParams, listHref } from './list-params';

const label = 'mb-1 block text-xs font-medium text-slate-600';

/** A plain GET form: the server filters, so it works before (and without) any client JavaScript. */
export function DeviceFilters({ params }: { params: ListParams }) {
  const filtered = Boolean(params.q || params.group || params.tag);
  return (
    <form
      method="get"
      action="/devices"
      className="flex flex-wrap items-end gap-3 border-b border-slate-200 px-5 py-4"
      data-testid="device-filters"
    >
      {params.status ? <input type="hidden" name="status" value={params.status} /> : null}
      {params.sort !== 'created' ? <input type="hidden" name="sort" value={params.sort} /> : null}
      <div className="min-w-56 flex-[2]">
        <label htmlFor="device-search" className={label}>
          Search
        </label>
        <div className="relative">
          <Search className="pointer-events-none absolute top-2.5 left-3 size-4 text-slate-400" aria-hidden="true" />
          <input
            id="device-search"
            name="q"
            type="search"
            defaultValue={params.q}
            placeholder="Name, id, serial or hardware id"
            className={`${inputStyles} pl-9`}
          />
        </div>
      </div>
      <div className="min-w-36 flex-1">
        <label htmlFor="device-group" className={label}>
          Group
        </label>
        <input
          id="device-group"
          name="group"
          defaultValue={params.group}
          placeholder="e.g. lab"
          className={inputStyles}
        />
      </div>
      <div className="min-w-44 flex-1">
        <label htmlFor="device-tag" className={label}>
          Tag
        </label>
        <input
          id="device-tag"
          name="tag"
          defaultValue={params.tag}
          placeholder="site=berlin"
          className={`${inputStyles} font-mono`}
        />
      </div>
      <button type="submit" className={buttonStyles.secondary}>
        Filter
      </button>
      {filtered ? (
        <Link href={listHref(params, { q: '', group: '', tag: '' })} className={buttonStyles.ghost}>
          Clear
        </Link>
      ) : null}
    </form>
  );
}
