/**
 * Fills the runtime context for browsers: kernel threads are module Web Workers sharing the engine's
 * memory. Threads need SharedArrayBuffer, i.e. a cross-origin-isolated page (COOP: same-origin and
 * COEP: require-corp); without it sessions fall back to one thread and say so in `notes`.
 */
import { runtimeContext } from '../runtime/context.js';
import type { WorkerFactory } from '../runtime/wasm/threads.js';

export const browserWorkerFactory: WorkerFactory = (init) => {
  const w = new Worker(new URL('./wasm-worker.js', import.meta.url), { type: 'module' });
  w.postMessage(init);
  return { terminate: () => w.terminate() };
};

export function useBrowserRuntime(): void {
  runtimeContext.workerFactory = browserWorkerFactory;
  runtimeContext.hardwareConcurrency = navigator.hardwareConcurrency || 1;
  runtimeContext.machine = navigator.userAgent;
  // The page's main thread may not block; a session created inside a worker could, but spinning is safe everywhere.
  runtimeContext.mainThreadCanBlock = false;
}
