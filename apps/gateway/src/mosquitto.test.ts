import { pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mosquittoPasswordHash } from './mosquitto.ts';

describe('mosquittoPasswordHash', () => {
  it("reproduces Debian's `mosquitto_passwd -b` (2.0.11) line for the same salt", () => {
    // `mosquitto_passwd -b passwd gw s3cret` wrote this line.
    const line =
      'gw:$7$101$NTfAGEAGusIiGR4R$ZdbufKbYZB8wVU/2aedQymiByTvOL6Z9JSOfT6l87UfUoPfKKj3qxh09KL2gPta+rYIeVhGnXrQS7rV4WFbGjg==';
    const salt = Buffer.from('NTfAGEAGusIiGR4R', 'base64');
    expect(`gw:${mosquittoPasswordHash('s3cret', salt)}`).toBe(line);
  });

  it('uses a fresh 12-byte salt each time', () => {
    const [a, b] = [mosquittoPasswordHash('pw'), mosquittoPasswordHash('pw')];
    expect(a).not.toBe(b);
    const [, , iterations, salt, hash] = a.split('$');
    expect(iterations).toBe('101');
    expect(Buffer.from(salt ?? '', 'base64')).toHaveLength(12);
    expect(hash).toBe(pbkdf2Sync('pw', Buffer.from(salt ?? '', 'base64'), 101, 64, 'sha512').toString('base64'));
  });
});
