import { describe, expect, it } from 'vitest';
import { parsePreauthorizationFile } from './preauthorize.ts';

describe('parsePreauthorizationFile', () => {
  it('reads CSV with a header, quotes, comments, blank lines and k=v;k=v tags', () => {
    const csv = [
      'serialNumber,hardwareId,group,tags',
      '# shipped 2026-11',
      'SN-1,,lab,site=berlin;rack=r1',
      '',
      '"SN-2, rev ""B""",HW-2,,',
      ',HW-3,field,"note=a=b"',
    ].join('\r\n');
    expect(parsePreauthorizationFile(csv, 'devices.csv')).toEqual([
      { serialNumber: 'SN-1', group: 'lab', tags: { site: 'berlin', rack: 'r1' } },
      { serialNumber: 'SN-2, rev "B"', hardwareId: 'HW-2', tags: {} },
      { hardwareId: 'HW-3', group: 'field', tags: { note: 'a=b' } },
    ]);
  });

  it('accepts a header with only some columns, in any order', () => {
    expect(parsePreauthorizationFile('hardwareId\nHW-9\n', 'x.csv')).toEqual([{ hardwareId: 'HW-9', tags: {} }]);
  });

  it.each([
    ['serial,group\nSN-1,lab', /x\.csv line 1: unknown column serial/],
    ['group\nlab', /x\.csv line 1: header needs a serialNumber or a hardwareId/],
    ['serialNumber,group\nSN-1,lab\n,lab', /x\.csv line 3: needs a serialNumber or a hardwareId/],
    ['serialNumber,tags\nSN-1,site', /x\.csv line 2: tag "site" must be written key=value/],
    ['serialNumber,tags\nSN-1,bad key=1', /x\.csv line 2: tag key "bad key"/],
    ['serialNumber,group\nSN-1', /x\.csv line 2: expected 2 fields, found 1/],
    ['serialNumber\n"SN-1', /x\.csv line 2: unterminated quoted field/],
    ['\n\n', /x\.csv: empty file/],
  ])('names the line of a CSV error: %j', (text, message) => {
    expect(() => parsePreauthorizationFile(text, 'x.csv')).toThrow(message);
  });

  it('reads a JSON array, with tags as an object or a k=v;k=v string', () => {
    const json = JSON.stringify([
      { serialNumber: 'SN-1', tags: { a: '1' } },
      { hardwareId: 'HW-1', tags: 'b=2' },
    ]);
    expect(parsePreauthorizationFile(json, 'devices.json')).toEqual([
      { serialNumber: 'SN-1', tags: { a: '1' } },
      { hardwareId: 'HW-1', tags: { b: '2' } },
    ]);
    // Sniffed as JSON without the extension.
    expect(parsePreauthorizationFile(' [{"hardwareId":"H"}]', 'upload')).toHaveLength(1);
  });

  it('names the line of a JSON entry that is wrong, and of a syntax error', () => {
    const text = '[\n  {"serialNumber": "SN-1"},\n  {"serialNumber": "SN-2"},\n  {"group": "lab"}\n]';
    expect(() => parsePreauthorizationFile(text, 'd.json')).toThrow(
      /d\.json line 4 \(entry 3\): needs a serialNumber or a hardwareId/,
    );
    expect(() =>
      parsePreauthorizationFile('[\n{"serialNumber": "a"},\n{"serialNumber": "b" "x"}\n]', 'd.json'),
    ).toThrow(/d\.json line 3: not valid JSON/);
    expect(() => parsePreauthorizationFile('[{"serialNumber":"a","colour":"red"}]', 'd.json')).toThrow(
      /line 1 \(entry 1\): unknown field colour/,
    );
    expect(() => parsePreauthorizationFile('{"serialNumber":"a"}', 'd.json')).toThrow(/expected a JSON array/);
    expect(() => parsePreauthorizationFile('[]', 'd.json')).toThrow(/no entries/);
  });
});
