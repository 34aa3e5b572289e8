import { describe, expect, it } from 'vitest';
import { oipDatatype, oipShape, tensorFromOip, tensorToOip } from './oip.ts';
import { tensor } from './tensor.ts';

const input = (datatype: string, data: unknown[], shape = [data.length]) => ({ name: 'v', shape, datatype, data });

describe('Open Inference Protocol tensors', () => {
  it('names datatypes and free dimensions as the spec does', () => {
    expect(['float32', 'float16', 'int64', 'uint8', 'bool', 'string'].map(oipDatatype)).toEqual([
      'FP32',
      'FP16',
      'INT64',
      'UINT8',
      'BOOL',
      'BYTES',
    ]);
    expect(oipShape(['batch', 3, -1])).toEqual([-1, 3, -1]);
  });

  it('converts JSON values to the model element type and back', () => {
    const i64 = tensorFromOip(input('INT64', [1, -2, 2 ** 40]), { name: 'v', dtype: 'int64', shape: [-1] });
    expect(i64.data).toEqual(BigInt64Array.from([1n, -2n, 2n ** 40n]));
    expect(tensorToOip('v', i64)).toEqual({ name: 'v', datatype: 'INT64', shape: [3], data: [1, -2, 2 ** 40] });
    const flags = tensorFromOip(input('BOOL', [[true], [false]], [2, 1]), { name: 'v', dtype: 'bool', shape: [2, 1] });
    expect(tensorToOip('v', flags).data).toEqual([true, false]);
    expect(tensorToOip('h', tensor('float16', [2], [0.5, -2])).data).toEqual([0.5, -2]);
  });

  it('refuses values that do not fit the datatype', () => {
    const spec = (dtype: string) => ({ name: 'v', dtype, shape: [-1] });
    expect(() => tensorFromOip(input('UINT8', [1, 256]), spec('uint8'))).toThrow('value 256 at index 1 is not UINT8');
    expect(() => tensorFromOip(input('INT32', [1.5]), spec('int32'))).toThrow('value 1.5 at index 0 is not INT32');
    expect(() => tensorFromOip(input('BOOL', [1]), spec('bool'))).toThrow('value 1 at index 0 is not BOOL');
    expect(() => tensorFromOip(input('FP32', [null]), spec('float32'))).toThrow('value null at index 0 is not FP32');
    expect(() => tensorFromOip(input('INT64', [2 ** 60]), spec('int64'))).toThrow(/is not INT64/);
  });
});
