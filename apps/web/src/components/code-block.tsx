import { CopyButton } from './copy-button';

/** A copy-paste shell command. */
export function CodeBlock({ code, label }: { code: string; label?: string }) {
  return (
    <div className="overflow-hidden rounded-md bg-slate-900 ring-1 ring-slate-800">
      {label ? (
        <div className="flex items-center justify-between border-b border-slate-800 px-3 py-1.5">
          <span className="text-xs font-medium text-slate-400">{label}</span>
          <CopyButton
            text={code}
            label={`Copy: ${label}`}
            className="text-slate-300 hover:bg-slate-800 hover:text-white"
          />
        </div>
      ) : null}
      <div className="flex items-start gap-2">
        <pre className="min-w-0 flex-1 overflow-x-auto px-3 py-2.5 font-mono text-[13px] leading-relaxed text-slate-100">
          <code>
            <span className="text-slate-500 select-none">$ </span>
            {code}
          </code>
        </pre>
        {label ? null : <CopyButton text={code} className="m-1.5 text-slate-300 hover:bg-slate-800 hover:text-white" />}
      </div>
    </div>
  );
}
