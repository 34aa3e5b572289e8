import { describe, expect, it } from 'vitest';
import { describeSelector } from './selector-text';

describe('describeSelector', () => {
  it('words each selector kind', () => {
    expect(describeSelector({ kind: 'all' }, 'every device')).toBe('every device');
    expect(describeSelector({ kind: 'group', group: 'lab' }, '')).toBe('group lab');
    expect(describeSelector({ kind: 'tags', tags: { site: 'berlin', hw: 'pi5' } }, '')).toBe(
      'tagged site=berlin, hw=pi5',
    );
    expect(describeSelector({ kind: 'devices', deviceIds: ['a'] }, '')).toBe('1 listed device');
    expect(describeSelector({ kind: 'devices', deviceIds: ['a', 'b'] }, '')).toBe('2 listed devices');
  });
});
