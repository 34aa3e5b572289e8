'use client';

import { useInfiniteQuery } from '@tanstack/react-query';
import { LoaderCircle, ScrollText, Search } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Alert } from '@/components/alert';
import { buttonStyles, inputStyles } from '@/components/button';
import { Card, CardHeader } from '@/components/card';
import { DataTable, TableEmpty, tableHeadCell } from '@/components/table';
import type { AuditPage } from '@/lib/router-types';
import { useTRPCClient } from '@/lib/trpc';
import { AuditRow } from './audit-row';
import { PAGE_SIZE } from './page-size';

interface Filters {
  action: string;
  actor: string;
}

export function AuditLog({ initialPage }: { initialPage: AuditPage }) {
  const client = useTRPCClient();
  const [filters, setFilters] = useState<Filters>({ action: '', actor: '' });
  const [draft, setDraft] = useState<Filters>(filters);
  const unfiltered = !filters.action && !filters.actor;

  // Keyset pagination on `before` (the procedure's cursor), newest first.
  const log = useInfiniteQuery({
    queryKey: ['audit.list', filters],
    queryFn: ({ pageParam }) =>
      client.audit.list.query({
        limit: PAGE_SIZE,
        before: pageParam,
        action: filters.action || null,
        actor: filters.actor || null,
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    initialData: unfiltered ? { pages: [initialPage], pageParams: [null] } : undefined,
  });

  function onFilter(e: FormEvent) {
    e.preventDefault();
    setFilters({ action: draft.action.trim(), actor: draft.actor.trim() });
  }

  const events = log.data?.pages.flatMap((p) => p.events) ?? [];

  return (
    <Card>
      <CardHeader
        title="Audit log"
        description="Every change, allowed or refused, and every sign-in. Newest first; times in UTC."
      />
      <form
        onSubmit={onFilter}
        className="flex flex-wrap items-end gap-3 border-b border-slate-200 px-5 py-4"
        data-testid="audit-filters"
      >
        <div className="min-w-48 flex-1">
          <label htmlFor="audit-action" className="mb-1 block text-xs font-medium text-slate-600">
            Action starts with
          </label>
          <input
            id="audit-action"
            placeholder="e.g. tokens."
            value={draft.action}
            onChange={(e) => setDraft((d) => ({ ...d, action: e.target.value }))}
            className={`${inputStyles} font-mono`}
          />
        </div>
        <div className="min-w-48 flex-1">
          <label htmlFor="audit-actor" className="mb-1 block text-xs font-medium text-slate-600">
            Actor contains
          </label>
          <input
            id="audit-actor"
            placeholder="e.g. alice@example.com"
            value={draft.actor}
            onChange={(e) => setDraft((d) => ({ ...d, actor: e.target.value }))}
            className={inputStyles}
          />
        </div>
        <button type="submit" className={buttonStyles.secondary}>
          <Search className="size-4" aria-hidden="true" />
          Filter
        </button>
        {unfiltered ? null : (
          <button
            type="button"
            className={buttonStyles.ghost}
            onClick={() => {
              setDraft({ action: '', actor: '' });
              setFilters({ action: '', actor: '' });
            }}
          >
            Clear
          </button>
        )}
      </form>

      {log.error ? (
        <div className="px-5 py-4">
          <Alert tone="error">{log.error.message}</Alert>
        </div>
      ) : null}

      {log.isPending ? (
        <div className="flex items-center justify-center gap-2 px-5 py-12 text-sm text-slate-500">
          <LoaderCircle className="size-4 animate-spin" aria-hidden="true" /> Loading events…
        </div>
      ) : events.length === 0 ? (
        <TableEmpty
          icon={ScrollText}
          title={<>No events {unfiltered ? 'yet' : 'match these filters'}</>}
          testId="audit-empty"
        />
      ) : (
        <DataTable
          testId="audit-table"
          head={
            <>
              <th className={tableHeadCell}>Time</th>
              <th className={tableHeadCell}>Actor</th>
              <th className={tableHeadCell}>Action</th>
              <th className={tableHeadCell}>Target</th>
              <th className={tableHeadCell}>Outcome</th>
              <th className={tableHeadCell}>IP</th>
            </>
          }
        >
          {events.map((e) => (
            <AuditRow key={e.id} event={e} />
          ))}
        </DataTable>
      )}

      {log.hasNextPage ? (
        <div className="flex justify-center border-t border-slate-200 px-5 py-4">
          <button
            type="button"
            className={buttonStyles.secondary}
            disabled={log.isFetchingNextPage}
            onClick={() => log.fetchNextPage()}
          >
            {log.isFetchingNextPage ? <LoaderCircle className="size-4 animate-spin" aria-hidden="true" /> : null}
            {log.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      ) : null}
    </Card>
  );
}
