// Loads Prisma's WebAssembly schema engine. The native engine that `prisma migrate` wants is a
// download this machine cannot make (see DESIGN.md); the wasm build ships on npm and talks to
// the database through a JS driver adapter instead of its own drivers.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import type {
  ErrorRegistry,
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import { readCharColumns } from './pg-char-columns.ts';

export type { SchemaEngine } from '@prisma/schema-engine-wasm';

type SchemaEngineClass = typeof SchemaEngine;

// The base tsconfig has no DOM lib, where TypeScript declares WebAssembly; this is the part used.
type WasmImports = Record<string, unknown>;
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: Record<string, WasmImports>): Promise<{ instance: { exports: WasmImports } }>;
  RuntimeError: new () => Error;
};

let engineClass: Promise<SchemaEngineClass> | undefined;

// The engine reports a Rust panic's message through this global before trapping with a bare
// "unreachable"; keep it so the error says what went wrong.
let lastPanic: string | undefined;
(globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY ??= {
  set_message(message: string) {
    lastPanic = message;
  },
};

/**
 * Runs one engine call and makes its failure readable: a panic leaves the wasm instance
 * unusable (so the next call reloads it), and a JS error thrown inside the adapter reaches us
 * as a bare "external connector error" while the real error waits in the adapter's registry.
 */
async function runEngine<T>(registry: ErrorRegistry, call: () => Promise<T>): Promise<T> {
  lastPanic = undefined;
  // The registry keeps every error ever registered; only those from this call explain it.
  let firstNew = 0;
  while (registry.consumeError(firstNew)) firstNew++;
  try {
    return await call();
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError) {
      engineClass = undefined;
      throw new Error(`Prisma schema engine panicked: ${lastPanic ?? String(error)}`, { cause: error });
    }
    const message = error instanceof Error ? error.message : String(error);
    if (!message.startsWith('external connector error')) throw error;
    let cause: unknown;
    for (let id = firstNew, record = registry.consumeError(id); record; record = registry.consumeError(++id)) {
      cause = record.error;
    }
    if (cause !== undefined) throw new Error(cause instanceof Error ? cause.message : String(cause), { cause });
    // Database errors arrive as "external connector error\n<the database's message>".
    const detail = message.slice('external connector error'.length).trim();
    throw detail ? new Error(detail, { cause: error }) : error;
  }
}

/**
 * The package's entry imports the `.wasm` as an ES module, which Node 20 cannot do, so we load
 * the JS glue on its own and instantiate the module by hand. It happens once per process
 * (compiling the 5 MB module is most of the ~0.1 s a first migrate costs).
 */
function loadEngineClass(): Promise<SchemaEngineClass> {
  engineClass ??= (async () => {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@prisma/schema-engine-wasm'));
    const glue = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(join(dir, 'schema_engine_bg.wasm'));
    const imports: WasmImports = { ...(glue as unknown as WasmImports) };
    // The engine arms timers (e.g. its advisory-lock timeout) and never clears them, which kept
    // short-lived processes such as `db:migrate` alive for 10 s after their work was done.
    for (const name of Object.keys(imports).filter((key) => key.startsWith('__wbg_setTimeout_'))) {
      imports[name] = (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref();
    }
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': imports });
    (glue as unknown as { __wbg_set_wasm(exports: WasmImports): void }).__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue.SchemaEngine;
  })();
  return engineClass;
}

/** A database the engine may connect to, started on demand and closed with the engine. */
export type DbProvider = () => Promise<{ url: string; close(): Promise<void> }>;

export const urlProvider =
  (url: string): DbProvider =>
  async () => ({ url, close: async () => {} });

async function connect(provider: DbProvider, opened: (() => Promise<void>)[]): Promise<SqlDriverAdapter> {
  const db = await provider();
  try {
    // One connection: the engine is sequential, and on PGlite every extra connection queues.
    const adapter = readCharColumns(await new PrismaPg({ connectionString: db.url, max: 1 }).connect());
    // A pg pool left open keeps the process alive, so close() disposes everything opened here,
    // whether or not the engine already did; dispose is made idempotent for that.
    let disposed: Promise<void> | undefined;
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = () => {
      disposed ??= dispose().finally(() => db.close());
      return disposed;
    };
    opened.push(() => adapter.dispose());
    return adapter;
  } catch (error) {
    await db.close();
    throw error;
  }
}

/**
 * adapter-pg with the shadow database swapped out: PrismaPg's own `connectToShadowDb` runs
 * CREATE DATABASE on the main server, which a PGlite server cannot serve (one database per
 * instance) and a production role may not be allowed to do.
 */
function adapterFactory(main: DbProvider, shadow: DbProvider | undefined, opened: (() => Promise<void>)[]) {
  const pg = new PrismaPg({ connectionString: 'postgresql://unused' });
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    adapterName: pg.adapterName,
    provider: pg.provider,
    connect: () => connect(main, opened),
    connectToShadowDb: async () => {
      if (shadow) return connect(shadow, opened);
      // No provider: PrismaPg's CREATE DATABASE shadow on the main server.
      const { url } = await main();
      const adapter = readCharColumns(
        await new PrismaPg({
          connectionString: url,
          max: 1,
        }).connectToShadowDb(),
      );
      opened.push(() => adapter.dispose());
      return adapter;
    },
  };
  return factory;
}

export interface OpenSchemaEngineOptions {
  /** The database the engine reads and migrates. */
  main: DbProvider;
  /** Where the engine's scratch database comes from; default: CREATE DATABASE on `main`. */
  shadow?: DbProvider;
  /** Prisma schema files as [path, content]; only needed by commands that read the schema. */
  datamodels?: [string, string][];
}

export interface OpenedSchemaEngine {
  engine: SchemaEngine;
  /** Runs engine calls with readable errors: `run((engine) => engine.diff(...))`. */
  run<T>(call: (engine: SchemaEngine) => Promise<T>): Promise<T>;
  /** Frees the engine and closes every connection and database it opened. */
  close(): Promise<void>;
}

export async function openSchemaEngine({
  main,
  shadow,
  datamodels,
}: OpenSchemaEngineOptions): Promise<OpenedSchemaEngine> {
  const Engine = await loadEngineClass();
  const opened: (() => Promise<void>)[] = [];
  const adapter = bindMigrationAwareSqlAdapterFactory(adapterFactory(main, shadow, opened));
  // The callback receives the engine's tracing lines as JSON strings; surface them on demand.
  const log = (line: string) => {
    if (process.env.EDGEFLEET_SCHEMA_ENGINE_DEBUG) console.error('[schema-engine]', line);
  };
  const engine = await runEngine(adapter.errorRegistry, () => Engine.new({ datamodels }, log, adapter));
  return {
    engine,
    run: (call) => runEngine(adapter.errorRegistry, () => call(engine)),
    async close() {
      engine.free();
      await Promise.allSettled(opened.map((dispose) => dispose()));
    },
  };
}
