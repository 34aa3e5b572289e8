import type { TTensorSignature } from '@edgefleet/protocol/registry';

const th = 'whitespace-nowrap px-3 py-2 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase';
const td = 'px-3 py-2 align-top font-mono text-xs text-slate-700';

/** Inputs and outputs as read from the model file by the CLI and signed with the version. */
export function TensorTable({ tensors }: { tensors: TTensorSignature }) {
  const rows = [
    ...tensors.inputs.map((t) => ({ ...t, io: 'input' as const })),
    ...tensors.outputs.map((t) => ({ ...t, io: 'output' as const })),
  ];
  if (rows.length === 0) return <p className="text-sm text-slate-400">No tensor signature recorded.</p>;
  return (
    <div className="overflow-x-auto rounded-md ring-1 ring-slate-200">
      <table className="min-w-full divide-y divide-slate-200" data-testid="tensor-table">
        <thead className="bg-slate-50">
          <tr>
            <th className={th}>Direction</th>
            <th className={th}>Name</th>
            <th className={th}>Type</th>
            <th className={th}>Shape</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.map((t) => (
            <tr key={`${t.io}:${t.name}`}>
              <td className={`${td} font-sans text-slate-500`}>{t.io}</td>
              <td className={td}>{t.name}</td>
              <td className={td}>{t.dtype}</td>
              <td className={td}>[{t.shape.map((d) => (typeof d === 'string' ? d : d < 0 ? '?' : d)).join(', ')}]</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
