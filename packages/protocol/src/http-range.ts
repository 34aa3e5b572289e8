/**
 * The artifact download contract shared by the dashboard's registry route and the gateway's
 * device route: a single `bytes=` range against a blob of `size` bytes (RFC 9110 §14.1.2):
 * `a-b`, `a-`, `-n`. null: serve the whole blob (no header, several ranges, another unit);
 * 'unsatisfiable': 416, a range that starts past the end.
 */
export type ByteRange = { start: number; end: number };

export function parseRange(header: string | null | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end };
}
