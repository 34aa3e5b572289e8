'use client';

import { Plus, X } from 'lucide-react';
import { buttonStyles, inputStyles, labelStyles } from '@/components/button';
import { Field } from '@/components/text-field';
import type { RouterOutputs } from '@/lib/router-types';
import { ChoiceCards } from './fields';
import { parseDeviceIds, type SelectorKind, type WizardState } from './wizard-state';

type Group = RouterOutputs['groups']['list'][number];

const KINDS = [
  { value: 'group', title: 'A group', description: 'Its members now, static or by tags.' },
  { value: 'tags', title: 'Tags', description: 'Devices carrying every tag given.' },
  { value: 'devices', title: 'Device ids', description: 'An explicit list.' },
  { value: 'all', title: 'All devices', description: 'Every accepted device in the fleet.' },
] satisfies { value: SelectorKind; title: string; description: string }[];

export function SelectorSection({
  state,
  set,
  groups,
}: {
  state: WizardState;
  set: (patch: Partial<WizardState>) => void;
  groups: Group[];
}) {
  const setTag = (i: number, patch: Partial<{ key: string; value: string }>) =>
    set({ tags: state.tags.map((t, j) => (j === i ? { ...t, ...patch } : t)) });
  const ids = parseDeviceIds(state.deviceIds);
  return (
    <div className="space-y-5">
      <ChoiceCards
        name="selector-kind"
        legend="Target devices by"
        choices={KINDS}
        value={state.selectorKind}
        onChange={(selectorKind) => set({ selectorKind })}
        columns={4}
      />
      {state.selectorKind === 'group' ? (
        <Field
          id="selector-group"
          label="Group"
          hint={groups.length ? undefined : 'No groups yet: create one under Devices → Groups, or target tags.'}
        >
          <select
            id="selector-group"
            value={state.group}
            onChange={(e) => set({ group: e.target.value })}
            className={`${inputStyles} sm:max-w-sm`}
          >
            <option value="" disabled>
              Choose a group…
            </option>
            {groups.map((g) => (
              <option key={g.name} value={g.name}>
                {g.name} · {g.deviceCount} device{g.deviceCount === 1 ? '' : 's'}
                {g.selector ? ' (dynamic)' : ''}
              </option>
            ))}
          </select>
        </Field>
      ) : null}
      {state.selectorKind === 'tags' ? (
        <fieldset className="space-y-2">
          <legend className={labelStyles}>Tags (a device must carry all of them)</legend>
          {state.tags.map((t, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place and never reordered
            <div key={i} className="flex items-center gap-2">
              <input
                aria-label={`Tag ${i + 1} key`}
                value={t.key}
                onChange={(e) => setTag(i, { key: e.target.value })}
                placeholder="key, e.g. site"
                className={`${inputStyles} font-mono`}
              />
              <span className="text-slate-400">=</span>
              <input
                aria-label={`Tag ${i + 1} value`}
                value={t.value}
                onChange={(e) => setTag(i, { value: e.target.value })}
                placeholder="value, e.g. berlin"
                className={`${inputStyles} font-mono`}
              />
              <button
                type="button"
                aria-label={`Remove tag ${i + 1}`}
                className={buttonStyles.ghost}
                disabled={state.tags.length === 1}
                onClick={() => set({ tags: state.tags.filter((_, j) => j !== i) })}
              >
                <X className="size-4" aria-hidden="true" />
              </button>
            </div>
          ))}
          <button
            type="button"
            className={buttonStyles.small}
            onClick={() => set({ tags: [...state.tags, { key: '', value: '' }] })}
            disabled={state.tags.length >= 16}
          >
            <Plus className="size-3.5" aria-hidden="true" /> Add tag
          </button>
        </fieldset>
      ) : null}
      {state.selectorKind === 'devices' ? (
        <Field
          id="selector-devices"
          label="Device ids"
          hint={`${ids.length} id${ids.length === 1 ? '' : 's'}; separate them with commas, spaces or new lines. Unknown ids are refused.`}
        >
          <textarea
            id="selector-devices"
            rows={3}
            value={state.deviceIds}
            onChange={(e) => set({ deviceIds: e.target.value })}
            placeholder="dev_3f9a…, dev_81c0…"
            className={`${inputStyles} font-mono`}
          />
        </Field>
      ) : null}
    </div>
  );
}
