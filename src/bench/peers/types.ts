/**
 * What `sparsecnn bench` compares against: another runtime running the same model on the same
 * input. Each peer loads its package with a dynamic import(), so sparsecnn itself never needs it.
 */
import { SparseCnnError } from '../../errors.js';
import type { Model } from '../../graph/ir.js';
import type { FloatTensor } from '../../graph/tensor.js';
import { feedInputs } from '../../runtime/bind.js';

export const PEER_NAMES = ['onnxruntime-node', 'onnxruntime-web', 'tfjs-wasm'] as const;
export type PeerName = (typeof PEER_NAMES)[number];

export function isPeerName(s: string): s is PeerName {
  return (PEER_NAMES as readonly string[]).includes(s);
}

export interface PeerOptions {
  /** Threads the peer may use for one inference. */
  readonly threads: number;
  /** Batch size of the inputs `run` will get (lets a peer specialise). */
  readonly batch: number;
}

export interface Peer {
  readonly name: string;
  /** The peer package's version, when it says. */
  readonly version?: string;
  /** Anything that makes this peer's numbers differ from what was asked (e.g. threads ignored). */
  readonly note?: string;
  /** Runs the model on an NCHW input and returns its first output, row-major in ONNX order. */
  run(input: FloatTensor): Promise<Float32Array>;
  dispose(): Promise<void> | void;
}

export type CreatePeer = (model: Model, opts: PeerOptions) => Promise<Peer>;

function isModuleNotFound(e: unknown, packages: readonly string[]): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const msg = String((e as { message?: unknown }).message);
  return packages.some((p) => msg.includes(p));
}

/**
 * Imports a peer's packages; a package that is not installed becomes
 * SparseCnnError('NOT_FOUND', 'install <pkg> to compare against <peer>').
 */
export async function importPeerPackage<T>(packages: readonly string[], peer: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (isModuleNotFound(e, packages)) throw new SparseCnnError('NOT_FOUND', `install ${packages.join(' and ')} to compare against ${peer}`, { cause: e });
    throw e;
  }
}

/** The graph's first feed input and first output: what a peer is fed and what it returns. */
export function peerIO(model: Model): { input: string; output: string } {
  const inputs = feedInputs(model.graph);
  const output = model.graph.outputs[0];
  if (inputs.length !== 1 || output === undefined) throw new SparseCnnError('UNSUPPORTED', `${model.metadata.name} has ${inputs.length} inputs and ${model.graph.outputs.length} outputs: benchmarks need one input (and use the first output)`);
  return { input: inputs[0]!.name, output: output.name };
}

/** A peer runtime refusing the model: UNSUPPORTED (so a default benchmark skips it with a note). */
export async function peerLoad<T>(peer: string, what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof SparseCnnError) throw e;
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
    throw new SparseCnnError('UNSUPPORTED', `${peer} cannot ${what}: ${msg}`, { cause: e });
  }
}
