import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateSecret } from './secrets.ts';

describe('loadOrCreateSecret', () => {
  it('creates one secret with mode 0600 and returns the same one after', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-secret-'));
    const first = loadOrCreateSecret(dir);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecret(dir)).toBe(first);
  });

  it('prefers EDGEFLEET_SECRET and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-secret-'));
    expect(loadOrCreateSecret(dir, 'x'.repeat(40))).toBe('x'.repeat(40));
    expect(() => statSync(join(dir, 'secret.key'))).toThrow();
  });
});
