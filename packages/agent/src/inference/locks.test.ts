import { describe, expect, it } from 'vitest';
import { LockBook } from './locks.ts';

describe('LockBook', () => {
  it('holds locks until released or expired', () => {
    let now = new Date('2026-03-01T10:00:00Z');
    const book = new LockBook({ now: () => now });
    expect(book.held()).toBe(false);
    const a = book.acquire('  inspection-app ', 30);
    expect(a).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      holder: 'inspection-app',
      acquiredAt: '2026-03-01T10:00:00.000Z',
      expiresAt: '2026-03-01T10:00:30.000Z',
    });
    const b = book.acquire('logger');
    expect(book.list()).toEqual([a, b]);
    now = new Date('2026-03-01T10:00:30Z');
    expect(book.list()).toEqual([b]);
    expect(book.release(a.id)).toBe(false);
    expect(book.release(b.id)).toBe(true);
    expect(book.held()).toBe(false);
  });

  it('bounds holders, TTLs and the number of locks', () => {
    const book = new LockBook({ maxLocks: 2, maxTtlSeconds: 600 });
    expect(() => book.acquire(' ')).toThrow('holder must be 1-128 characters');
    expect(() => book.acquire('a', 601)).toThrow('ttlSeconds must be an integer 1-600');
    expect(() => book.acquire('a', 1.5)).toThrow('ttlSeconds must be an integer 1-600');
    expect(() => new LockBook().acquire('a', 0)).toThrow(/ttlSeconds/);
    book.acquire('a', 600);
    book.acquire('b', 600);
    expect(() => book.acquire('c', 600)).toThrow(expect.objectContaining({ code: 'full' }));
  });
});
