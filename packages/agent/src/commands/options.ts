import { InvalidArgumentError } from 'commander';
import { normalizeFingerprint } from '../certs.ts';
import { parseDuration } from '../duration.ts';

export const duration = (value: string) => {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

export const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new InvalidArgumentError('must be a port number (1-65535)');
  return n;
};

export const fingerprint = (value: string) => {
  try {
    return normalizeFingerprint(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

/** A port to listen on; 0 lets the system pick a free one. */
export const listenPort = (value: string) => (value === '0' ? 0 : port(value));
