import { Readable } from 'node:stream';
import { DomainError } from '@edgefleet/core/errors';
import type { Services } from './context.ts';
import { pullStream } from './pull-stream.ts';

export type ByteRange = { start: number; end: number };

/**
 * A single `bytes=` range against a blob of `size` bytes (RFC 9110 §14.1.2): `a-b`, `a-`, `-n`.
 * Returns null to serve the whole blob (no header, several ranges, a unit we do not speak) and
 * 'unsatisfiable' for a range that starts past the end.
 */
export function parseRange(header: string | null, size: number): ByteRange | null | 'unsatisfiable' {
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

/** Does an If-None-Match / If-Range value name this entity tag? (Weak comparison, fine for immutable blobs.) */
const matches = (header: string, etag: string) =>
  header.trim() === '*' || header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);

/**
 * Streams a published artifact. Blobs are content-addressed and immutable, so the SHA-256 is a
 * perfect strong ETag, and a device resumes a broken download with `Range` + `If-Range`.
 * Only artifacts of published versions are served: an upload in progress stays invisible.
 */
export async function serveArtifact(req: Request, services: Services, sha256: string): Promise<Response> {
  const artifact = await services.db.modelArtifact.findFirst({
    where: { sha256, uploadedAt: { not: null }, version: { status: 'published' } },
    select: { sizeBytes: true },
  });
  if (!artifact || !(await services.artifacts.has(sha256))) throw new DomainError('NOT_FOUND', 'No such artifact');
  const size = Number(artifact.sizeBytes);
  const etag = `"${sha256}"`;
  const headers = new Headers({
    etag,
    'accept-ranges': 'bytes',
    'cache-control': 'private, max-age=31536000, immutable',
    'content-type': 'application/octet-stream',
  });
  const ifNoneMatch = req.headers.get('if-none-match');
  if (ifNoneMatch && matches(ifNoneMatch, etag)) return new Response(null, { status: 304, headers });

  const ifRange = req.headers.get('if-range');
  const range = ifRange && !matches(ifRange, etag) ? null : parseRange(req.headers.get('range'), size);
  if (range === 'unsatisfiable') {
    headers.set('content-range', `bytes */${size}`);
    return new Response(null, { status: 416, headers });
  }
  const length = range ? range.end - range.start + 1 : size;
  headers.set('content-length', String(length));
  if (range) headers.set('content-range', `bytes ${range.start}-${range.end}/${size}`);
  const status = range ? 206 : 200;
  if (req.method.toUpperCase() === 'HEAD' || length === 0) return new Response(null, { status, headers });

  const { stream } = await services.artifacts.open(sha256, range ?? undefined);
  const readable = stream instanceof Readable ? stream : Readable.from(stream);
  return new Response(pullStream(readable), { status, headers });
}
