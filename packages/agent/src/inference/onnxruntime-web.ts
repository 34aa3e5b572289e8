import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import type { Log } from '../runtime.ts';
import type { Backend, BackendDescription, LoadOptions, Session } from './backend.ts';
import { InferenceError } from './errors.ts';
import { type OrtModule, OrtSession, ortMessage } from './ort-session.ts';

const require = createRequire(import.meta.url);

export type OrtWebModule = OrtModule & { env: { wasm: { numThreads?: number } } };

export interface OrtWebBackendOptions {
  log: Log;
  /** Imported on first use only, so an agent on a working native binding never loads WASM. */
  importOrt?: () => Promise<OrtWebModule>;
  /** WASM threads (worker_threads under Node); onnxruntime picks min(4, cores/2) by default. */
  numThreads?: number;
}

/**
 * onnxruntime in WebAssembly: slower than the native binding, but it runs wherever Node does,
 * so it is the fallback when the native binding cannot load (an unsupported libc or CPU). It
 * only ever runs on the CPU, whatever the artifact was built for.
 */
export class OnnxruntimeWebBackend implements Backend {
  readonly name = 'onnxruntime-web';
  readonly runtimes = ['onnx'] as const;
  private module: Promise<OrtWebModule> | null = null;

  constructor(private readonly opts: OrtWebBackendOptions) {}

  private ort(): Promise<OrtWebModule> {
    this.module ??= (async () => {
      const mod = await (this.opts.importOrt ?? (() => import('onnxruntime-web') as Promise<OrtWebModule>))();
      if (this.opts.numThreads) mod.env.wasm.numThreads = this.opts.numThreads;
      return mod;
    })();
    return this.module;
  }

  /** Resolves the package without importing it: WASM runs wherever Node does. */
  async describe(): Promise<BackendDescription> {
    try {
      if (!this.opts.importOrt) require.resolve('onnxruntime-web');
      return { name: this.name, available: true, accelerators: ['cpu'], executionProviders: ['wasm'] };
    } catch (e) {
      return { name: this.name, available: false, reason: `cannot load: ${ortMessage(e)}`, accelerators: [] };
    }
  }

  async load(file: string, { accelerator }: LoadOptions): Promise<Session> {
    let ortModule: OrtWebModule;
    try {
      ortModule = await this.ort();
    } catch (e) {
      throw new InferenceError('unavailable', `onnxruntime-web cannot load: ${ortMessage(e)}`);
    }
    if (accelerator !== 'cpu') {
      this.opts.log(`onnxruntime-web: ${basename(file)} is built for ${accelerator}; running it on the CPU (WASM)`);
    }
    try {
      const bytes = await readFile(file);
      // Only the WASM backend registers "wasm"; "cpu" may resolve to the native binding when both are loaded.
      const session = await ortModule.InferenceSession.create(
        new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
        { executionProviders: ['wasm'], logSeverityLevel: 3 },
      );
      return new OrtSession(ortModule, session, this.name, 'wasm');
    } catch (e) {
      throw new InferenceError('backend', `onnxruntime-web cannot load ${basename(file)}: ${ortMessage(e)}`);
    }
  }
}
