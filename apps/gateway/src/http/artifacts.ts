import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { publishedArtifactSize } from '@edgefleet/core/registry/models';
import { parseRange } from '@edgefleet/protocol/http-range';
import { HttpRefusal } from './body.ts';
import { authenticateDevice } from './device-auth.ts';
import { sendError } from './respond.ts';
import type { Handler } from './route.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * `GET /v1/artifacts/<sha256>` for an accepted device: the blob, streamed (one chunk in memory),
 * with `Range` so a broken download resumes. The agent checks length and sha256 against the
 * publisher's signed metadata itself, so these bytes need no other protection.
 */
export const serveArtifact: Handler = async (deps, req, res, { ip, param }) => {
  await authenticateDevice(deps, req, { action: 'device.artifact', ip });
  if (!deps.artifacts) throw new HttpRefusal(503, 'unavailable', 'this gateway does not serve artifacts');
  const sha256 = param.toLowerCase();
  const size = SHA256_HEX.test(sha256) ? await publishedArtifactSize(deps.db, sha256) : null;
  const stored = size === null ? null : await deps.artifacts.stat(sha256);
  if (size === null || stored?.size !== size) return sendError(res, 404, 'not_found', 'No such artifact');

  const range = parseRange(req.headers.range, size);
  const headers: Record<string, string> = {
    etag: `"${sha256}"`,
    'accept-ranges': 'bytes',
    'cache-control': 'private, max-age=31536000, immutable',
    'content-type': 'application/octet-stream',
  };
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': '0' });
    return void res.end();
  }
  const length = range ? range.end - range.start + 1 : size;
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
  headers['content-length'] = String(length);
  if (length === 0) {
    res.writeHead(200, headers);
    return void res.end();
  }
  const { stream } = await deps.artifacts.open(sha256, range ?? undefined);
  res.writeHead(range ? 206 : 200, headers);
  // A client that goes away mid-download rejects the pipeline; the router then destroys the response.
  await pipeline(stream instanceof Readable ? stream : Readable.from(stream), res);
};
