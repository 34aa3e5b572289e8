import { Search } from 'lucide-react';
import Link from 'next/link';
import { Badge } from '@/components/badge';
import { buttonStyles, inputStyles } from '@/components/button';
import type { RouterOutputs } from '@/lib/router-types';
import { type ListParams, listHref } from './list-params';

type Group = Pick<RouterOutputs['groups']['list'][number], 'name' | 'kind' | 'selector' | 'deviceCount'>;

const selectorText = (selector: Record<string, string>) =>
  Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/** Under the filters when the group filter names a group: static members, or the tags dynamic ones match. */
function GroupNote({ group, name }: { group: Group | undefined; name: string }) {
  const box = 'flex basis-full flex-wrap items-center gap-1.5 text-xs text-slate-500';
  if (!group) {
    return (
      <p className={box} data-testid="group-filter-note">
        No group is named “{name}”.
      </p>
    );
  }
  return (
    <p className={box} data-testid="group-filter-note">
      <Badge tone={group.kind === 'dynamic' ? 'indigo' : 'slate'}>{group.kind}</Badge>
      {group.selector ? (
        <>
          group: every device tagged
          {Object.entries(group.selector).map(([k, v]) => (
            <Badge key={k} tone="indigo" mono>
              {k}={v}
            </Badge>
          ))}
        </>
      ) : (
        'group: the devices assigned to it.'
      )}
    </p>
  );
}

const label = 'mb-1 block text-xs font-medium text-slate-600';

/** A plain GET form: the server filters, so it works before (and without) any client JavaScript. */
export function DeviceFilters({ params, groups }: { params: ListParams; groups: Group[] }) {
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
          list="device-group-options"
          autoComplete="off"
          className={inputStyles}
        />
        <datalist id="device-group-options">
          {groups.map((g) => (
            <option key={g.name} value={g.name}>
              {g.selector ? `dynamic: ${selectorText(g.selector)}` : 'static'} · {g.deviceCount}
            </option>
          ))}
        </datalist>
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
      {params.group ? <GroupNote group={groups.find((g) => g.name === params.group)} name={params.group} /> : null}
    </form>
  );
}
