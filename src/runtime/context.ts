/**
 * The runtime context: the one piece of process-wide mutable state. Platform adapters fill it in
 * (src/node/runtime.ts for Node; a browser adapter would supply Web Workers), and compile() reads it.
 */
import type { WorkerFactory } from './wasm/threads.js';

export interface RuntimeContext {
  /** Starts a kernel worker sharing the engine's memory; absent = single-threaded only. */
  workerFactory?: WorkerFactory;
  /** Cores available; the default thread count. */
  hardwareConcurrency: number;
  /** True once the platform has enabled relaxed SIMD (V8 flag) where it can. */
  relaxedSimdEnabled: boolean;
  /** Identifies the machine for tuning caches (CPU model, cores, engine version). */
  machine: string;
  /** False on a browser's main thread, where Atomics.wait throws: the thread pool then spins. */
  mainThreadCanBlock: boolean;
}

export const runtimeContext: RuntimeContext = {
  hardwareConcurrency: typeof navigator !== 'undefined' && typeof navigator.hardwareConcurrency === 'number' ? navigator.hardwareConcurrency : 1,
  relaxedSimdEnabled: false,
  machine: typeof navigator !== 'undefined' ? navigator.userAgent : 'unknown',
  mainThreadCanBlock: true,
};
