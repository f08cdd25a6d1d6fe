/**
 * Fills the runtime context for Node: worker_threads for kernel threads, the core count, and
 * V8's relaxed-SIMD flag (not on by default in Node 20), which must be set before any module compiles.
 */
import { availableParallelism, cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { runtimeContext } from '../runtime/context.js';
import type { WorkerFactory } from '../runtime/wasm/threads.js';

let relaxedTried = false;

export function enableRelaxedSimd(): void {
  if (relaxedTried) return;
  relaxedTried = true;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // An engine without the flag simply keeps the plain-SIMD kernels.
  }
}

export const nodeWorkerFactory: WorkerFactory = (init) => {
  const w = new Worker(new URL('./wasm-worker.js', import.meta.url), { workerData: init });
  // Workers wait on Atomics between jobs; they must not keep a finished program alive.
  w.unref();
  return { terminate: () => void w.terminate() };
};

export function useNodeRuntime(): void {
  enableRelaxedSimd();
  runtimeContext.workerFactory = nodeWorkerFactory;
  runtimeContext.hardwareConcurrency = availableParallelism();
  runtimeContext.relaxedSimdEnabled = true;
  runtimeContext.machine = `${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()} node ${process.versions.node} v8 ${process.versions.v8}`;
}

useNodeRuntime();
