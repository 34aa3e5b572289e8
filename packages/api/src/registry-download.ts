import { Readable } from 'node:stream';
import { DomainError } from '@edgefleet/core/errors';
import { publishedArtifactSize } from '@edgefleet/core/registry/models';
import { parseRange } from '@edgefleet/protocol/http-range';
import type { Services } from './context.ts';
import { pullStream } from './pull-stream.ts';

/** Does an If-None-Match / If-Range value name this entity tag? (Weak comparison, fine for immutable blobs.) */
const matches = (header: string, etag: string) =>
  header.trim() === '*' || header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);

/**
 * Streams a published artifact. Blobs are content-addressed and immutable, so the SHA-256 is a
 * perfect strong ETag, and a device resumes a broken download with `Range` + `If-Range`.
 * Only artifacts of published versions are served: an upload in progress stays invisible.
 */
export async function serveArtifact(req: Request, services: Services, sha256: string): Promise<Response> {
  const size = await publishedArtifactSize(services.db, sha256);
  if (size === null || !(await services.artifacts.has(sha256))) throw new DomainError('NOT_FOUND', 'No such artifact');
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
