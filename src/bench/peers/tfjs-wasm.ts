/**
 * TensorFlow.js with its WebAssembly backend (XNNPACK kernels compiled to WebAssembly with SIMD):
 * the network is rebuilt with tfjs ops by tfjs-from-ir.ts, weights converted once.
 *
 * Threads: @tensorflow/tfjs-backend-wasm 4.x turns multi-threading off in Node
 * (WASM_HAS_MULTITHREAD_SUPPORT is false whenever IS_NODE; tensorflow/tfjs#3830), so this peer is
 * single-threaded whatever is asked, and says so in `note`.
 */
import type { Model } from '../../graph/ir.js';
import type { FloatTensor } from '../../graph/tensor.js';
import { sameShape } from '../../graph/tensor.js';
import { feedInputs } from '../../runtime/bind.js';
import { fail } from '../../errors.js';
import { translateToTfjs } from './tfjs-from-ir.js';
import { importPeerPackage, peerLoad, type Peer, type PeerOptions } from './types.js';

const PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'] as const;

export async function createPeer(model: Model, opts: PeerOptions): Promise<Peer> {
  const [tf, wasm] = await importPeerPackage(PACKAGES, 'tfjs-wasm', async () => {
    const core = await import('@tensorflow/tfjs-core');
    const backend = await import('@tensorflow/tfjs-backend-wasm');
    return [core, backend] as const;
  });
  if (tf.getBackend() !== 'wasm') {
    const ok = await peerLoad('tfjs-wasm', 'start its WebAssembly backend', () => tf.setBackend('wasm'));
    if (!ok) fail('UNSUPPORTED', 'tfjs-wasm cannot start its WebAssembly backend here');
    tf.enableProdMode();
  }
  await tf.ready();
  const input = feedInputs(model.graph)[0];
  if (input === undefined) fail('UNSUPPORTED', `${model.metadata.name} has no input`);
  const shape = input.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? opts.batch : fail('UNSUPPORTED', `input dimension '${d}' is symbolic (only the batch may be)`)));
  const net = translateToTfjs(tf, model.graph, shape);
  const threads = wasm.getThreadsCount();
  const note = opts.threads > threads ? `runs on ${threads} thread: tfjs-backend-wasm has no multi-threading in Node` : undefined;
  return {
    name: 'tfjs-wasm',
    version: wasm.version_wasm,
    ...(note !== undefined ? { note } : {}),
    async run(x: FloatTensor): Promise<Float32Array> {
      if (!sameShape(x.shape, net.inputShape)) fail('SHAPE_MISMATCH', `tfjs-wasm peer was built for input [${net.inputShape.join(',')}], got [${x.shape.join(',')}]`);
      const t = tf.tensor(x.data, [...x.shape]);
      try {
        const y = net.run(t);
        try {
          return (await y.data()) as Float32Array;
        } finally {
          y.dispose();
        }
      } finally {
        t.dispose();
      }
    },
    dispose: () => net.dispose(),
  };
}
