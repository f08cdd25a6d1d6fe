/** The peers `sparsecnn bench --vs` knows, each loaded only when asked for. */
import type { Model } from '../../graph/ir.js';
import type { Peer, PeerName, PeerOptions } from './types.js';

export async function createPeerByName(name: PeerName, model: Model, opts: PeerOptions): Promise<Peer> {
  switch (name) {
    case 'onnxruntime-node':
      return (await import('./onnxruntime-node.js')).createPeer(model, opts);
    case 'onnxruntime-web':
      return (await import('./onnxruntime-web.js')).createPeer(model, opts);
    case 'tfjs-wasm':
      return (await import('./tfjs-wasm.js')).createPeer(model, opts);
  }
}

export { isPeerName, PEER_NAMES, type CreatePeer, type Peer, type PeerName, type PeerOptions } from './types.js';
