import type { InputHTMLAttributes, ReactNode } from 'react';
import { inputStyles, labelStyles } from './button';

export interface FieldProps {
  /** The control's id; the label points at it. */
  id: string;
  label: ReactNode;
  /** `true` adds “(optional)” after the label; a string adds that text in parentheses instead. */
  optional?: boolean | string;
  /** Small print under the control. */
  hint?: ReactNode;
  /** Extra classes for the wrapper, e.g. a column span. */
  fieldClassName?: string;
}

/** A label above any control (input, select, textarea) with the dashboard's spacing. */
export function Field({ id, label, optional, hint, fieldClassName, children }: FieldProps & { children: ReactNode }) {
  return (
    <div className={fieldClassName ? `space-y-1.5 ${fieldClassName}` : 'space-y-1.5'}>
      <label htmlFor={id} className={labelStyles}>
        {label}
        {optional ? (
          <>
            {' '}
            <span className="font-normal text-slate-400">({optional === true ? 'optional' : optional})</span>
          </>
        ) : null}
      </label>
      {children}
      {hint ? <p className="text-xs text-slate-500">{hint}</p> : null}
    </div>
  );
}

export type TextFieldProps = FieldProps & Omit<InputHTMLAttributes<HTMLInputElement>, 'id'>;

/** Label + input; every other prop goes to the input, and `className` adds to the input's classes. */
export function TextField({ id, label, optional, hint, fieldClassName, className, ...input }: TextFieldProps) {
  return (
    <Field id={id} label={label} optional={optional} hint={hint} fieldClassName={fieldClassName}>
      <input id={id} className={className ? `${inputStyles} ${className}` : inputStyles} {...input} />
    </Field>
  );
}
