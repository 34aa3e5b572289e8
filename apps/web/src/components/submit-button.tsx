import { LoaderCircle, type LucideIcon } from 'lucide-react';
import type { ReactNode } from 'react';
import { buttonStyles } from './button';

/** A form's primary submit button: a spinner and the busy label while the request runs. */
export function SubmitButton({
  icon: Icon,
  pending,
  busyLabel,
  disabled,
  children,
}: {
  icon: LucideIcon;
  pending: boolean;
  busyLabel: string;
  disabled?: boolean;
  children: ReactNode;
}) {
  return (
    <button type="submit" className={buttonStyles.primary} disabled={pending || disabled}>
      {pending ? (
        <LoaderCircle className="size-4 animate-spin" aria-hidden="true" />
      ) : (
        <Icon className="size-4" aria-hidden="true" />
      )}
      {pending ? busyLabel : children}
    </button>
  );
}
