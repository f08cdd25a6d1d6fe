/**
 * sparsecnn's model metadata travels in ONNX metadata_props under keys prefixed 'sparsecnn.':
 *   sparsecnn.name, sparsecnn.source  plain strings
 *   sparsecnn.preprocessing           JSON {mean:number[], std:number[], inputSize:[C,H,W]}
 *   sparsecnn.labels                  JSON string[]
 * Every other metadata_prop (e.g. sparsecnn.pruning, or a producer's own keys) is kept as `extra`
 * and written back unchanged.
 */
import type { ModelMetadata, Preprocessing } from '../graph/ir.js';

interface Prop { key?: string | null; value?: string | null }

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function isNumbers(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number');
}

function asPreprocessing(v: unknown): Preprocessing | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (!isNumbers(o.mean) || !isNumbers(o.std) || !isNumbers(o.inputSize) || o.inputSize.length !== 3) return undefined;
  return { mean: o.mean, std: o.std, inputSize: [o.inputSize[0]!, o.inputSize[1]!, o.inputSize[2]!] };
}

export function readMetadata(props: readonly Prop[], fallbackName: string): ModelMetadata {
  const kv = new Map(props.map((p) => [p.key ?? '', p.value ?? '']));
  const parsed = new Set(['sparsecnn.name', 'sparsecnn.preprocessing', 'sparsecnn.labels', 'sparsecnn.source']);
  const extra = new Map([...kv].filter(([k]) => !parsed.has(k)));
  const labels = parseJson(kv.get('sparsecnn.labels') ?? '');
  const preprocessing = asPreprocessing(parseJson(kv.get('sparsecnn.preprocessing') ?? ''));
  const source = kv.get('sparsecnn.source');
  return {
    name: kv.get('sparsecnn.name') ?? fallbackName,
    ...(preprocessing ? { preprocessing } : {}),
    ...(Array.isArray(labels) && labels.every((l) => typeof l === 'string') ? { labels: labels as string[] } : {}),
    ...(source !== undefined ? { source } : {}),
    ...(extra.size > 0 ? { extra } : {}),
  };
}

export function writeMetadata(md: ModelMetadata): { key: string; value: string }[] {
  const out = [{ key: 'sparsecnn.name', value: md.name }];
  if (md.preprocessing) out.push({ key: 'sparsecnn.preprocessing', value: JSON.stringify(md.preprocessing) });
  if (md.labels) out.push({ key: 'sparsecnn.labels', value: JSON.stringify(md.labels) });
  if (md.source) out.push({ key: 'sparsecnn.source', value: md.source });
  for (const [key, value] of md.extra ?? []) out.push({ key, value });
  return out;
}
