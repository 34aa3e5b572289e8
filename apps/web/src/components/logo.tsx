/** The EdgeFleet mark: three edge nodes around a hub, in the brand indigo. */
export function LogoMark({ className = 'size-8' }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" className={className} aria-hidden="true">
      <rect width="32" height="32" rx="8" className="fill-indigo-600" />
      <path d="M16 16 9 9M16 16l7-7M16 16v8" className="stroke-indigo-200" strokeWidth="2" strokeLinecap="round" />
      <circle cx="16" cy="16" r="3.5" className="fill-white" />
      <circle cx="9" cy="9" r="2.5" className="fill-indigo-100" />
      <circle cx="23" cy="9" r="2.5" className="fill-indigo-100" />
      <circle cx="16" cy="24.5" r="2.5" className="fill-indigo-100" />
    </svg>
  );
}

export function Logo({ className = '' }: { className?: string }) {
  return (
    <span className={`inline-flex items-center gap-2.5 ${className}`}>
      <LogoMark />
      <span className="text-lg font-semibold tracking-tight text-slate-900">EdgeFleet</span>
    </span>
  );
}
