import type { LucideIcon } from 'lucide-react';
import type { ReactNode } from 'react';

/** Class strings shared by the dashboard's data tables. */
export const tableHeadCell =
  'whitespace-nowrap px-4 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase';
export const tableCell = 'px-4 py-3 align-top text-sm';

/** What a table shows instead of rows when it has none: an icon, a title and an optional line of text. */
export function TableEmpty({
  icon: Icon,
  title,
  children,
  testId,
  textClassName,
}: {
  icon: LucideIcon;
  title: ReactNode;
  children?: ReactNode;
  testId?: string;
  /** Extra classes for the text under the title, e.g. a max width. */
  textClassName?: string;
}) {
  return (
    <div className="flex flex-col items-center px-6 py-12 text-center" data-testid={testId}>
      <Icon className="size-8 text-slate-300" aria-hidden="true" />
      <p className="mt-3 text-sm font-medium text-slate-900">{title}</p>
      {children ? (
        <p className={textClassName ? `mt-1 ${textClassName} text-sm text-slate-500` : 'mt-1 text-sm text-slate-500'}>
          {children}
        </p>
      ) : null}
    </div>
  );
}

/** The dashboard's table frame: scrolls sideways when narrow; `head` is the header row's cells, children the rows. */
export function DataTable({ testId, head, children }: { testId?: string; head: ReactNode; children: ReactNode }) {
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-200" data-testid={testId}>
        <thead className="bg-slate-50">
          <tr>{head}</tr>
        </thead>
        <tbody className="divide-y divide-slate-100">{children}</tbody>
      </table>
    </div>
  );
}

/** Header cell over a column of row actions: no visible title, only one for screen readers. */
export function ActionsHead() {
  return (
    <th className={tableHeadCell}>
      <span className="sr-only">Actions</span>
    </th>
  );
}
