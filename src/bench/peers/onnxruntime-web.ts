/**
 * onnxruntime-web's WebAssembly backend (the same C++ runtime compiled with SIMD and pthreads to
 * WebAssembly) running in Node: what a browser user of onnxruntime-web gets, minus WebGPU.
 *
 * Threads: in Node 20 onnxruntime-web 1.30 does run multi-threaded. `env.wasm.numThreads = T`
 * makes the module spawn T - 1 worker_threads from its own ort-wasm-simd-threaded.mjs (Node has
 * SharedArrayBuffer and no cross-origin isolation to ask for), and those workers do take part in
 * the convolutions. The thread count is fixed when the module first initialises, so a process can
 * only use one count; a later peer asking for another gets a note.
 *
 * Network: the model is passed as bytes and the .mjs/.wasm files are read from the package folder;
 * fetch() is refused while the backend initialises so a misconfiguration fails loudly instead of
 * downloading anything.
 */
import type { Model } from '../../graph/ir.js';
import type { FloatTensor } from '../../graph/tensor.js';
import { exportOnnx } from '../../onnx/export.js';
import { importPeerPackage, peerIO, peerLoad, type Peer, type PeerOptions } from './types.js';

/** Threads onnxruntime-web was initialised with in this process (it cannot change afterwards). */
let initialisedThreads: number | undefined;

/** Runs `f` with fetch() refusing everything (restored afterwards). */
async function withoutNetwork<T>(f: () => Promise<T>): Promise<T> {
  const real = globalThis.fetch;
  globalThis.fetch = ((input: unknown) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : String((input as { url?: unknown }).url ?? input);
    return Promise.reject(new Error(`onnxruntime-web tried to fetch ${url}; sparsecnn's benchmarks never use the network`));
  }) as typeof fetch;
  try {
    return await f();
  } finally {
    globalThis.fetch = real;
  }
}

export async function createPeer(model: Model, opts: PeerOptions): Promise<Peer> {
  const ort = await importPeerPackage(['onnxruntime-web'], 'onnxruntime-web', () => import('onnxruntime-web'));
  const io = peerIO(model);
  const notes: string[] = [];
  if (initialisedThreads === undefined) {
    ort.env.wasm.numThreads = opts.threads;
    ort.env.wasm.simd = true;
    ort.env.wasm.proxy = false;
  } else if (initialisedThreads !== opts.threads) {
    notes.push(`runs with ${initialisedThreads} thread(s): onnxruntime-web was already initialised in this process and cannot change its thread count`);
  }
  const bytes = exportOnnx(model);
  const session = await peerLoad('onnxruntime-web', "load sparsecnn's ONNX export", () =>
    withoutNetwork(() => ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 })),
  );
  // The module may lower numThreads (no SharedArrayBuffer or no wasm threads): report what it uses.
  initialisedThreads ??= ort.env.wasm.numThreads ?? 1;
  if (initialisedThreads !== opts.threads && notes.length === 0) notes.push(`runs with ${initialisedThreads} thread(s): WebAssembly threads are not available here`);
  const version = ort.env.versions.web;
  return {
    name: 'onnxruntime-web',
    ...(version !== undefined ? { version } : {}),
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    async run(input: FloatTensor): Promise<Float32Array> {
      const result = await session.run({ [io.input]: new ort.Tensor('float32', input.data, [...input.shape]) });
      const y = result[io.output];
      if (y === undefined || !(y.data instanceof Float32Array)) throw new Error(`onnxruntime-web gave no float32 '${io.output}'`);
      return y.data;
    },
    dispose: () => session.release(),
  };
}
