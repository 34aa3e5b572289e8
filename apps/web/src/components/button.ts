/** Button looks as class strings, so links and buttons share them. */
const base =
  'inline-flex items-center justify-center gap-1.5 rounded-md text-sm font-medium transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-not-allowed disabled:opacity-60';

export const buttonStyles = {
  primary: `${base} bg-indigo-600 px-3.5 py-2 text-white shadow-sm hover:bg-indigo-500`,
  secondary: `${base} bg-white px-3.5 py-2 text-slate-700 shadow-sm ring-1 ring-slate-300 ring-inset hover:bg-slate-50`,
  danger: `${base} bg-white px-3 py-1.5 text-red-700 ring-1 ring-red-200 ring-inset hover:bg-red-50`,
  /** Same height as primary/secondary, for page-level actions beside them. */
  dangerOutline: `${base} bg-white px-3.5 py-2 text-red-700 shadow-sm ring-1 ring-red-200 ring-inset hover:bg-red-50`,
  dangerSolid: `${base} bg-red-600 px-3 py-1.5 text-white shadow-sm hover:bg-red-500`,
  ghost: `${base} px-2.5 py-1.5 text-slate-600 hover:bg-slate-100 hover:text-slate-900`,
  dangerSmall: `${base} bg-white px-2.5 py-1 text-xs text-red-700 ring-1 ring-red-200 ring-inset hover:bg-red-50`,
  small: `${base} bg-white px-2.5 py-1 text-xs text-slate-700 ring-1 ring-slate-300 ring-inset hover:bg-slate-50`,
  smallPrimary: `${base} bg-indigo-600 px-2.5 py-1 text-xs text-white shadow-sm hover:bg-indigo-500`,
} as const;

export const inputStyles =
  'block w-full rounded-md border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-slate-300 ring-inset placeholder:text-slate-400 focus:ring-2 focus:ring-indigo-600 focus:outline-none disabled:cursor-not-allowed disabled:bg-slate-50 disabled:text-slate-500';

export const labelStyles = 'block text-sm font-medium text-slate-700';
