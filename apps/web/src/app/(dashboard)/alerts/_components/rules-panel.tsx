'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Plus } from 'lucide-react';
import { useState } from 'react';
import { Alert } from '@/components/alert';
import { Badge } from '@/components/badge';
import { buttonStyles } from '@/components/button';
import { Card, CardHeader } from '@/components/card';
import { DeleteRowButton } from '@/components/confirm-button';
import { ActionsHead, DataTable, tableCell, tableHeadCell } from '@/components/table';
import { useTRPC } from '@/lib/trpc';
import { SeverityBadge } from './badges';
import { EnabledSwitch } from './enabled-switch';
import { RuleForm } from './rule-form';
import { conditionText, selectorText } from './rule-form-state';
import type { RuleView } from './types';

export function RulesPanel({
  initialRules,
  groups,
  canWrite,
}: {
  initialRules: RuleView[];
  groups: string[];
  canWrite: boolean;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const rules = useQuery({ ...trpc.alerts.rules.list.queryOptions(), initialData: initialRules });
  // null: closed; 'new': creating; otherwise the id of the rule being edited.
  const [editing, setEditing] = useState<string | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.alerts.rules.list.queryKey() });
  const toggle = useMutation(trpc.alerts.rules.setEnabled.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.alerts.rules.delete.mutationOptions({ onSuccess: refresh }));
  const editingRule = rules.data.find((r) => r.id === editing);

  return (
    <div className="space-y-6">
      {!canWrite ? (
        <Alert tone="info" data-testid="read-only-note">
          Your role can read alert rules but not change them (the alerts:write scope).
        </Alert>
      ) : null}
      {canWrite && editing ? (
        <RuleForm
          key={editing}
          rule={editingRule ?? null}
          groups={groups}
          onDone={() => {
            setEditing(null);
            void refresh();
          }}
        />
      ) : null}
      <Card>
        <CardHeader
          title="Rules"
          description="Each rule is evaluated every 15 s over every device it selects; an alert opens once per rule and device, and resolves by itself when the condition is gone."
          action={
            canWrite && editing !== 'new' ? (
              <button type="button" className={buttonStyles.primary} onClick={() => setEditing('new')}>
                <Plus className="size-4" aria-hidden="true" /> New rule
              </button>
            ) : null
          }
        />
        <DataTable
          testId="rules-table"
          head={
            <>
              <th className={tableHeadCell}>Rule</th>
              <th className={tableHeadCell}>Condition</th>
              <th className={tableHeadCell}>Watches</th>
              <th className={tableHeadCell}>Severity</th>
              <th className={tableHeadCell}>Open</th>
              <th className={tableHeadCell}>Enabled</th>
              {canWrite ? <ActionsHead /> : null}
            </>
          }
        >
          {rules.data.map((r) => (
            <tr key={r.id} data-testid="rule-row" data-rule-id={r.id} className={r.enabled ? '' : 'bg-slate-50/60'}>
              <td className={tableCell}>
                <div className={`font-medium ${r.enabled ? 'text-slate-900' : 'text-slate-500'}`}>{r.name}</div>
                {r.builtIn ? (
                  <div className="mt-1">
                    <Badge tone="indigo">built in</Badge>
                  </div>
                ) : null}
              </td>
              <td className={`${tableCell} text-slate-700`} data-testid="rule-condition">
                {conditionText(r)}
              </td>
              <td className={`${tableCell} text-slate-600`}>{selectorText(r.selector, r.kind)}</td>
              <td className={tableCell}>
                <SeverityBadge severity={r.severity} />
              </td>
              <td className={`${tableCell} tabular-nums`}>
                {r.openAlerts > 0 ? (
                  <span className="font-medium text-red-700">{r.openAlerts.toLocaleString('en-US')}</span>
                ) : (
                  <span className="text-slate-400">0</span>
                )}
              </td>
              <td className={tableCell}>
                <EnabledSwitch
                  name={r.name}
                  enabled={r.enabled}
                  disabled={!canWrite || toggle.isPending}
                  onChange={(enabled) => toggle.mutate({ id: r.id, enabled })}
                  testId="rule-enabled"
                />
              </td>
              {canWrite ? (
                <td className={`${tableCell} text-right`}>
                  <div className="flex items-start justify-end gap-2">
                    <button type="button" className={buttonStyles.small} onClick={() => setEditing(r.id)}>
                      Edit
                    </button>
                    {r.builtIn ? null : (
                      <DeleteRowButton id={r.id} question="Delete this rule and its alert history?" mutation={remove} />
                    )}
                  </div>
                </td>
              ) : null}
            </tr>
          ))}
        </DataTable>
        {toggle.error ? (
          <div className="px-5 pb-4">
            <Alert tone="error">{toggle.error.message}</Alert>
          </div>
        ) : null}
      </Card>
    </div>
  );
}
