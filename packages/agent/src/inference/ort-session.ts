import type * as ort from 'onnxruntime-node';
import type { Session } from './backend.ts';
import { InferenceError } from './errors.ts';
import { checkFeeds, DTYPES, isDtype, type Tensor, type TensorSpec, type TypedArray } from './tensor.ts';

/** What onnxruntime-node and onnxruntime-web share (both re-export onnxruntime-common). */
export type OrtModule = Pick<typeof ort, 'Tensor' | 'InferenceSession'>;

const specOf = (m: ort.InferenceSession.ValueMetadata): TensorSpec =>
  m.isTensor ? { name: m.name, dtype: m.type, shape: [...m.shape] } : { name: m.name, dtype: 'non-tensor', shape: [] };

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();

/**
 * A Session over an onnxruntime InferenceSession (native or WASM). Each module's own Tensor class
 * is used: the two packages may hold separate copies of onnxruntime-common.
 */
export class OrtSession implements Session {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  private inflight = 0;
  private closing: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  constructor(
    private readonly ort: OrtModule,
    private readonly session: ort.InferenceSession,
    readonly backend: string,
    readonly executionProvider: string,
  ) {
    this.inputs = session.inputMetadata.map(specOf);
    this.outputs = session.outputMetadata.map(specOf);
  }

  async infer(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    if (this.closing) throw new InferenceError('unavailable', `the ${this.backend} session is unloaded`);
    checkFeeds(this.inputs, feeds);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      // The constructor's overloads are per element type; checkFeeds has matched data to dtype.
      ortFeeds[name] = new this.ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.shape);
    }
    this.inflight++;
    try {
      const results = await this.session.run(ortFeeds);
      const out: Record<string, Tensor> = {};
      for (const [name, value] of Object.entries(results)) out[name] = fromOrt(name, value as ort.Tensor);
      return out;
    } catch (e) {
      if (e instanceof InferenceError) throw e;
      throw new InferenceError('backend', `${this.backend} inference failed: ${message(e)}`);
    } finally {
      this.inflight--;
      if (this.inflight === 0) this.drained?.();
    }
  }

  /** Refuses new calls at once; releases native memory only after running calls return. */
  unload(): Promise<void> {
    this.closing ??= (async () => {
      if (this.inflight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      await this.session.release();
    })();
    return this.closing;
  }
}

function fromOrt(name: string, value: ort.Tensor): Tensor {
  const dtype = value.type;
  if (!isDtype(dtype)) throw new InferenceError('backend', `output "${name}" has element type ${dtype}, not supported`);
  const expected = DTYPES[dtype].array;
  const raw = value.data as unknown as ArrayBufferView & { length: number };
  if (raw instanceof expected) return { dtype, shape: [...value.dims], data: raw as TypedArray };
  // float16 arrives as a Float16Array where the runtime has one: keep its bits.
  if (dtype === 'float16' && ArrayBuffer.isView(raw)) {
    return { dtype, shape: [...value.dims], data: new Uint16Array(raw.buffer, raw.byteOffset, raw.length) };
  }
  throw new InferenceError('backend', `output "${name}" (${dtype}) arrived as ${raw?.constructor?.name ?? typeof raw}`);
}

export { message as ortMessage };
