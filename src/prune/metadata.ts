/** The pruning record a model carries in its metadata ('sparsecnn.pruning'), read by the engine to pick sparse kernels. */
import type { Model } from '../graph/ir.js';

export const PRUNING_METADATA_KEY = 'sparsecnn.pruning';

/** What the engine needs to know about a layer's pattern. */
export type LayerPattern =
  | { readonly pattern: 'colnm'; readonly n: number; readonly m: number; readonly tile: number }
  | { readonly pattern: 'nm'; readonly n: number; readonly m: number }
  | { readonly pattern: 'unstructured'; readonly ratio: number }
  | { readonly pattern: 'dcp' | 'dcp-b' | 'dcp-bh'; readonly ratio: number; readonly groupWidth: number; readonly hardwareTile: number; readonly lanes?: number; readonly alignment?: 'u' | 'o' }
  | { readonly pattern: 'filter' | 'channel'; readonly removed: number; readonly of: number };

export function readPruningMetadata(m: Model): Record<string, LayerPattern> {
  const s = m.metadata.extra?.get(PRUNING_METADATA_KEY);
  if (s === undefined) return {};
  try {
    const j = JSON.parse(s) as { layers?: Record<string, LayerPattern> };
    return j.layers ?? {};
  } catch {
    return {};
  }
}
