import type { ReactNode } from 'react';
import { inputStyles } from '@/components/button';
import { Field } from '@/components/text-field';

/** A number input with its unit inside the box (%, min, s). Empty means "use the default" or "no limit". */
export function NumberField({
  id,
  label,
  unit,
  value,
  onChange,
  hint,
  optional,
  placeholder,
  min,
  max,
  step,
  fieldClassName,
}: {
  id: string;
  label: ReactNode;
  unit?: string;
  value: string;
  onChange: (v: string) => void;
  hint?: ReactNode;
  optional?: boolean | string;
  placeholder?: string;
  min?: number;
  max?: number;
  step?: number | 'any';
  fieldClassName?: string;
}) {
  return (
    <Field id={id} label={label} hint={hint} optional={optional} fieldClassName={fieldClassName}>
      <div className="relative">
        <input
          id={id}
          type="number"
          inputMode="decimal"
          value={value}
          onChange={(e) => onChange(e.target.value)}
          placeholder={placeholder}
          min={min}
          max={max}
          step={step}
          className={`${inputStyles} tabular-nums ${unit ? 'pr-12' : ''}`}
        />
        {unit ? (
          <span className="pointer-events-none absolute inset-y-0 right-3 flex items-center text-sm text-slate-400">
            {unit}
          </span>
        ) : null}
      </div>
    </Field>
  );
}

export interface Choice<T extends string> {
  value: T;
  title: string;
  description: string;
}

/** Mutually exclusive options as cards (radio buttons underneath, so keyboard and labels work). */
export function ChoiceCards<T extends string>({
  name,
  legend,
  choices,
  value,
  onChange,
  columns = 3,
}: {
  name: string;
  legend: string;
  choices: Choice<T>[];
  value: T;
  onChange: (v: T) => void;
  columns?: 2 | 3 | 4;
}) {
  const cols = { 2: 'sm:grid-cols-2', 3: 'sm:grid-cols-3', 4: 'sm:grid-cols-2 lg:grid-cols-4' }[columns];
  return (
    <fieldset>
      <legend className="sr-only">{legend}</legend>
      <div className={`grid gap-2 ${cols}`}>
        {choices.map((c) => {
          const active = c.value === value;
          return (
            <label
              key={c.value}
              className={`flex cursor-pointer gap-2.5 rounded-md px-3 py-2.5 ring-1 ring-inset transition-colors ${
                active ? 'bg-indigo-50 ring-2 ring-indigo-500' : 'bg-white ring-slate-200 hover:bg-slate-50'
              }`}
            >
              <input
                type="radio"
                name={name}
                value={c.value}
                checked={active}
                onChange={() => onChange(c.value)}
                className="mt-0.5 size-4 shrink-0 accent-indigo-600"
              />
              <span className="min-w-0">
                <span className={`block text-sm font-medium ${active ? 'text-indigo-900' : 'text-slate-900'}`}>
                  {c.title}
                </span>
                <span className="mt-0.5 block text-xs leading-5 text-slate-500">{c.description}</span>
              </span>
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}

/** A checkbox with a title and a line of explanation. */
export function CheckField({
  id,
  checked,
  onChange,
  title,
  description,
}: {
  id: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  title: ReactNode;
  description?: ReactNode;
}) {
  return (
    <div className="flex gap-2.5">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        className="mt-0.5 size-4 shrink-0 rounded border-slate-300 accent-indigo-600"
      />
      <div>
        <label htmlFor={id} className="block text-sm font-medium text-slate-900">
          {title}
        </label>
        {description ? <p className="mt-0.5 text-xs text-slate-500">{description}</p> : null}
      </div>
    </div>
  );
}
