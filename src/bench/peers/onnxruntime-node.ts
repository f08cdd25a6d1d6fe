/**
 * onnxruntime-node: Microsoft's native C++ runtime (MLAS kernels) through its Node binding, on the
 * model exported by exportOnnx(). Graph optimisations at their default ('all': constant folding,
 * Conv+BN+activation fusion, NCHWc layout), `threads` intra-op threads, one inter-op thread.
 */
import type { Model } from '../../graph/ir.js';
import type { FloatTensor } from '../../graph/tensor.js';
import { exportOnnx } from '../../onnx/export.js';
import { importPeerPackage, peerIO, peerLoad, type Peer, type PeerOptions } from './types.js';

export async function createPeer(model: Model, opts: PeerOptions): Promise<Peer> {
  const ort = await importPeerPackage(['onnxruntime-node'], 'onnxruntime-node', () => import('onnxruntime-node'));
  const io = peerIO(model);
  const bytes = exportOnnx(model);
  const session = await peerLoad('onnxruntime-node', "load sparsecnn's ONNX export", () =>
    ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: opts.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      logSeverityLevel: 3,
    }),
  );
  const version = ort.env.versions.node;
  return {
    name: 'onnxruntime-node',
    ...(version !== undefined ? { version } : {}),
    async run(input: FloatTensor): Promise<Float32Array> {
      const result = await session.run({ [io.input]: new ort.Tensor('float32', input.data, [...input.shape]) });
      const y = result[io.output];
      if (y === undefined || !(y.data instanceof Float32Array)) throw new Error(`onnxruntime-node gave no float32 '${io.output}'`);
      return y.data;
    },
    dispose: () => session.release(),
  };
}
