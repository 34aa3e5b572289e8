import { describe, expect, it } from 'vitest';
import { InferenceError } from './errors.ts';
import {
  checkFeeds,
  decodeTensorData,
  encodeTensorData,
  floatToHalf,
  halfToFloat,
  type TensorSpec,
  tensor,
  valuesOf,
} from './tensor.ts';

describe('smoke-test tensor data', () => {
  it('round-trips every wire dtype through little-endian base64', () => {
    const cases = [
      tensor('float32', [2, 2], [1.5, -2, 0, 3.25]),
      tensor('float64', [3], [Math.PI, -1e300, 0]),
      tensor('int64', [2], [-(2 ** 40), 7]),
      tensor('int32', [1, 2], [-5, 2 ** 30]),
      tensor('int8', [2], [-128, 127]),
      tensor('uint8', [2], [0, 255]),
      tensor('bool', [3], [true, false, true]),
    ];
    for (const t of cases) expect(decodeTensorData(encodeTensorData(t))).toEqual(t);
    // Little-endian on the wire, whatever the host: 1.0f is 00 00 80 3f.
    expect(encodeTensorData(tensor('float32', [1], [1])).data).toBe(Buffer.from([0, 0, 0x80, 0x3f]).toString('base64'));
  });

  it('refuses data whose length does not fit the shape', () => {
    expect(() =>
      decodeTensorData({ dtype: 'float32', shape: [2, 2], data: Buffer.alloc(12).toString('base64') }),
    ).toThrow('12 bytes cannot hold float32 [2, 2] (16 expected)');
  });
});

describe('float16', () => {
  it('converts common values exactly and saturates to Infinity', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 2 ** -14, 0.099975586])
      expect(halfToFloat(floatToHalf(v))).toBeCloseTo(v, 6);
    expect(halfToFloat(floatToHalf(1e6))).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(halfToFloat(floatToHalf(Number.NaN)))).toBe(true);
    expect(valuesOf(tensor('float16', [2], [1.5, -3]))).toEqual(Float64Array.from([1.5, -3]));
  });
});

describe('checkFeeds', () => {
  const inputs: TensorSpec[] = [
    { name: 'image', dtype: 'float32', shape: ['batch', 3, -1] },
    { name: 'mask', dtype: 'bool', shape: [] },
  ];
  const image = tensor('float32', [1, 3, 2], [1, 2, 3, 4, 5, 6]);
  const mask = tensor('bool', [5, 5], new Array(25).fill(true));
  const message = (feeds: Parameters<typeof checkFeeds>[1]) => {
    try {
      checkFeeds(inputs, feeds);
      return 'ok';
    } catch (e) {
      expect(e).toBeInstanceOf(InferenceError);
      return (e as Error).message;
    }
  };

  it('accepts free dimensions and any shape where none is declared', () => {
    expect(message({ image, mask })).toBe('ok');
    expect(message({ image: tensor('float32', [4, 3, 1], new Array(12).fill(0)), mask })).toBe('ok');
  });

  it('says exactly what is wrong', () => {
    expect(message({ image, mask, extra: mask })).toBe(
      'unknown input "extra"; the model\'s inputs are image (float32 [batch, 3, -1]), mask (bool [])',
    );
    expect(message({ image })).toBe('missing input mask (bool [])');
    expect(message({ image: tensor('float64', [1, 3, 2], [1, 2, 3, 4, 5, 6]), mask })).toBe(
      'input "image" must be float32, not float64',
    );
    expect(message({ image: { dtype: 'float32', shape: [1, 3, 2], data: new Float64Array(6) }, mask })).toBe(
      'input "image" holds a Float64Array, not Float32Array',
    );
    expect(message({ image: tensor('float32', [1, 2, 3], [1, 2, 3, 4, 5, 6]), mask })).toBe(
      'input "image" has shape [1, 2, 3]; the model expects [batch, 3, -1]',
    );
    expect(message({ image: tensor('float32', [1.5, 3, 2], [1, 2, 3, 4, 5, 6]), mask })).toMatch(
      /has shape \[1\.5, 3, 2\]/,
    );
    expect(message({ image: { ...image, shape: [1, 3, 3] }, mask })).toBe(
      'input "image" has 6 values; shape [1, 3, 3] needs 9',
    );
  });
});
