'use client';

/** The On/Off switch in a table row; its accessible name says what clicking it will do. */
export function EnabledSwitch({
  name,
  enabled,
  disabled,
  onChange,
  testId,
}: {
  name: string;
  enabled: boolean;
  disabled: boolean;
  onChange: (enabled: boolean) => void;
  testId?: string;
}) {
  return (
    <label className="inline-flex cursor-pointer items-center gap-2">
      <input
        type="checkbox"
        role="switch"
        aria-checked={enabled}
        aria-label={`${enabled ? 'Disable' : 'Enable'} ${name}`}
        checked={enabled}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked)}
        className="size-4 rounded border-slate-300 accent-indigo-600"
        data-testid={testId}
      />
      <span className="text-sm text-slate-600">{enabled ? 'On' : 'Off'}</span>
    </label>
  );
}
