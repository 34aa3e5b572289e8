import type { TTensorData, TTensorSignature } from '@edgefleet/protocol/registry';
import { ZTensorData } from '@edgefleet/protocol/registry';
import { CliError } from '../context.ts';

type Dtype = TTensorData['dtype'];
const WRITERS: Record<Dtype, { bytes: number; write(buf: Buffer, v: number, at: number): void }> = {
  float32: { bytes: 4, write: (b, v, at) => b.writeFloatLE(v, at) },
  float64: { bytes: 8, write: (b, v, at) => b.writeDoubleLE(v, at) },
  int64: { bytes: 8, write: (b, v, at) => b.writeBigInt64LE(BigInt(Math.trunc(v)), at) },
  int32: { bytes: 4, write: (b, v, at) => b.writeInt32LE(v, at) },
  int8: { bytes: 1, write: (b, v, at) => b.writeInt8(v, at) },
  uint8: { bytes: 1, write: (b, v, at) => b.writeUInt8(v, at) },
  bool: { bytes: 1, write: (b, v, at) => b.writeUInt8(v ? 1 : 0, at) },
};

/** The shape of a nested array ([[1,2],[3,4]] → [2, 2]); ragged arrays are refused. */
function shapeOf(value: unknown, flag: string, name: string): number[] {
  if (!Array.isArray(value)) return [];
  const inner = value.map((v) => JSON.stringify(shapeOf(v, flag, name)));
  if (new Set(inner).size > 1) throw new CliError(`${flag}: tensor "${name}" is a ragged array`);
  return [value.length, ...(value.length ? (JSON.parse(inner[0] ?? '[]') as number[]) : [])];
}

/**
 * A smoke-test tensor file: `{ "<tensor name>": nested array of numbers }` (the dtype comes from
 * the model's own signature) or already encoded `{ dtype, shape, data: base64 }`. Values travel
 * as little-endian bytes in base64: signed metadata (TUF canonical JSON) cannot hold fractions.
 */
export function encodeTensors(
  json: unknown,
  signature: TTensorSignature['inputs'],
  flag: string,
): Record<string, TTensorData> {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new CliError(`${flag}: expected a JSON object of tensor name → array of numbers`);
  }
  const out: Record<string, TTensorData> = {};
  for (const [name, value] of Object.entries(json)) {
    const encoded = ZTensorData.safeParse(value);
    if (encoded.success) {
      out[name] = encoded.data;
      continue;
    }
    const declared = signature.find((t) => t.name === name)?.dtype ?? 'float32';
    if (!(declared in WRITERS))
      throw new CliError(`${flag}: tensor "${name}" has dtype ${declared}, not supported here`);
    const dtype = declared as Dtype;
    const shape = shapeOf(value, flag, name);
    const flat = [value].flat(Number.POSITIVE_INFINITY) as unknown[];
    if (!flat.every((v) => typeof v === 'number' || typeof v === 'boolean')) {
      throw new CliError(`${flag}: tensor "${name}" must hold numbers only`);
    }
    const { bytes, write } = WRITERS[dtype];
    const buf = Buffer.alloc(flat.length * bytes);
    for (const [i, v] of flat.entries()) write(buf, Number(v), i * bytes);
    out[name] = { dtype, shape, data: buf.toString('base64') };
  }
  return out;
}
