/** Loading models by path or zoo name, and saving them: the Node side of onnx/ and zoo/. */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { fail } from '../errors.js';
import type { Model } from '../graph/ir.js';
import { exportOnnx } from '../onnx/export.js';
import { importOnnx } from '../onnx/import.js';
import { buildZooModel, ZOO, zooEntry } from '../zoo/index.js';
import { KNOWN_FILES } from '../zoo/known-files.js';
import { readBytes, writeNewFile } from './files.js';
import { findModelFile, modelSearchPath } from './paths.js';

export interface LoadOptions {
  /** Called with a one-line note when something is assumed (e.g. random weights). */
  readonly onWarning?: (message: string) => void;
}

function externalReader(modelPath: string) {
  const dir = dirname(modelPath);
  return (location: string, offset: number, length: number | undefined): Uint8Array => {
    const p = resolve(dir, location);
    if (!p.startsWith(resolve(dir))) fail('INVALID_MODEL', `external data location '${location}' points outside the model's folder`);
    if (!existsSync(p)) fail('NOT_FOUND', `external data file '${p}' does not exist`);
    const size = statSync(p).size;
    const n = length ?? size - offset;
    if (offset + n > size) fail('INVALID_MODEL', `external data '${location}' is shorter than the model says (${size} < ${offset + n} bytes)`);
    const buf = new Uint8Array(n);
    const fd = openSync(p, 'r');
    try {
      readSync(fd, buf, 0, n, offset);
    } finally {
      closeSync(fd);
    }
    return buf;
  };
}

/** Imports an ONNX file; a file the zoo knows by hash gets its preprocessing and labels. */
export function loadOnnxFile(path: string): Model {
  const bytes = readBytes(path, 'model file');
  const model = importOnnx(bytes, { name: basename(path, extname(path)), readExternal: externalReader(path) });
  if (model.metadata.preprocessing !== undefined) return model;
  const known = KNOWN_FILES.get(createHash('sha256').update(bytes).digest('hex'));
  if (known === undefined) return model;
  const e = zooEntry(known);
  return { ...model, metadata: { ...model.metadata, name: known, preprocessing: e.preprocessing, ...(e.labels ? { labels: e.labels } : {}), source: path } };
}

/**
 * MODEL argument of every CLI verb: a path to an .onnx file, or a zoo name. Zoo models with a
 * pretrained file load its weights; without one they get seeded random weights (and a warning).
 */
export function loadModel(spec: string, opts: LoadOptions = {}): Model {
  const looksLikePath = spec.includes('/') || spec.includes('\\') || extname(spec) !== '';
  if (looksLikePath || (existsSync(spec) && !ZOO.has(spec))) return loadOnnxFile(spec);
  if (!ZOO.has(spec)) fail('NOT_FOUND', `'${spec}' is neither a file nor a zoo model (zoo: ${[...ZOO.keys()].join(', ')})`);
  const e = zooEntry(spec);
  if (e.pretrained === undefined) return buildZooModel(spec);
  const file = findModelFile(e.pretrained);
  if (file === undefined) {
    opts.onWarning?.(`pretrained weights ${e.pretrained} not found in ${modelSearchPath().join(', ')}: using random weights (set SPARSECNN_MODELS to the folder holding it)`);
    return buildZooModel(spec);
  }
  return buildZooModel(spec, { pretrained: loadOnnxFile(file), pretrainedFile: basename(file) });
}

/** Writes a model as ONNX; refuses to replace an existing file unless `force`. */
export function saveModel(model: Model, path: string, force = false): void {
  writeNewFile(path, exportOnnx(model), force);
}

