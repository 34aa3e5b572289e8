import { readDeviceMetadata } from '@edgefleet/core/rollouts/device-repository';
import { HttpRefusal } from './body.ts';
import { authenticateDevice } from './device-auth.ts';
import { sendError } from './respond.ts';
import type { Handler } from './route.ts';

/**
 * `GET /v1/tuf/<file>`: one file of the calling device's own TUF repository, as core signed it.
 * The device is whoever the client certificate names, so no device can read another's.
 * Never cached: a timestamp or targets file is only good until the next signing.
 */
export const serveTufFile: Handler = async (deps, req, res, { ip, param }) => {
  const { deviceId } = await authenticateDevice(deps, req, { action: 'device.tuf', ip });
  if (!deps.director) throw new HttpRefusal(503, 'unavailable', 'this gateway does not serve device metadata');
  const clock = deps.clock;
  const now = clock ? () => clock.now() : undefined;
  // `param` is still URL-encoded (`detector%401.2.0.json`, as tuf-js asks): core decodes it once.
  const text = await readDeviceMetadata({ db: deps.db, director: deps.director, now }, deviceId, param);
  if (text === null) return sendError(res, 404, 'not_found', 'No such metadata file');
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
};
