import { Badge } from '@/components/badge';
import { formatBytes } from '@/lib/format';

/** One chip per artifact: the runtime / accelerator / precision triple a device's variant selection matches on. */
export function VariantChips({
  artifacts,
}: {
  artifacts: { runtime: string; accelerator: string; precision: string }[];
}) {
  if (artifacts.length === 0) return <span className="text-slate-400">none</span>;
  return (
    <div className="flex flex-wrap gap-1" data-testid="variant-chips">
      {artifacts.map((a) => {
        const label = `${a.runtime} · ${a.accelerator} · ${a.precision}`;
        return (
          <Badge key={label} tone="indigo" mono>
            {label}
          </Badge>
        );
      })}
    </div>
  );
}

/** Sizes arrive as bigint (Prisma BigInt through superjson) or number. */
export function formatSize(bytes: number | bigint | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  return formatBytes(Number(bytes));
}
