/** TensorProto <-> Tensor. Float32 and int64 natively; double and int32 are converted on import. */
import { fail } from '../errors.js';
import { sizeOf, type Tensor } from '../graph/tensor.js';
import { DataType, toBigInt, toNumber, type TensorProto } from './proto.js';

/** Reads external data (ONNX data_location = EXTERNAL); supplied by the Node adapter. */
export type ExternalDataReader = (location: string, offset: number, length: number | undefined) => Uint8Array;

function bytesOf(t: TensorProto, name: string, readExternal: ExternalDataReader | undefined): Uint8Array | undefined {
  if (t.dataLocation === 1) {
    const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = kv.get('location');
    if (location === undefined || location === '') fail('INVALID_MODEL', `tensor '${name}' has external data without a location`);
    if (readExternal === undefined) fail('UNSUPPORTED', `tensor '${name}' keeps its data in the external file '${location}'; load the model from a path so that file can be read`);
    const length = kv.has('length') ? Number(kv.get('length')) : undefined;
    return readExternal(location, Number(kv.get('offset') ?? 0), length);
  }
  return t.rawData !== null && t.rawData !== undefined && t.rawData.length > 0 ? t.rawData : undefined;
}

/** Copies into an aligned buffer: protobuf byte slices can start at any offset. */
function aligned(bytes: Uint8Array): ArrayBuffer {
  const buf = new ArrayBuffer(bytes.length);
  new Uint8Array(buf).set(bytes);
  return buf;
}

export function tensorFromProto(t: TensorProto, readExternal?: ExternalDataReader): Tensor {
  const name = t.name ?? '(unnamed)';
  const shape = (t.dims ?? []).map(toNumber);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail('INVALID_MODEL', `tensor '${name}' has invalid dims [${shape.join(',')}]`);
  const n = sizeOf(shape);
  const raw = bytesOf(t, name, readExternal);
  const check = (got: number) => {
    if (got !== n) fail('INVALID_MODEL', `tensor '${name}' of shape [${shape.join(',')}] should hold ${n} values but holds ${got} (truncated or corrupt file?)`);
  };
  switch (t.dataType) {
    case DataType.FLOAT: {
      if (raw !== undefined) {
        check(raw.length / 4);
        return { dtype: 'float32', shape, data: new Float32Array(aligned(raw)) };
      }
      const fd = t.floatData ?? [];
      check(fd.length);
      return { dtype: 'float32', shape, data: Float32Array.from(fd) };
    }
    case DataType.DOUBLE: {
      const d = raw !== undefined ? new Float64Array(aligned(raw)) : Float64Array.from(t.doubleData ?? []);
      check(d.length);
      return { dtype: 'float32', shape, data: Float32Array.from(d) };
    }
    case DataType.INT64: {
      if (raw !== undefined) {
        check(raw.length / 8);
        return { dtype: 'int64', shape, data: new BigInt64Array(aligned(raw)) };
      }
      const id = t.int64Data ?? [];
      check(id.length);
      return { dtype: 'int64', shape, data: BigInt64Array.from(id, toBigInt) };
    }
    case DataType.INT32: {
      const d = raw !== undefined ? new Int32Array(aligned(raw)) : Int32Array.from(t.int32Data ?? []);
      check(d.length);
      return { dtype: 'int64', shape, data: BigInt64Array.from(d, (v) => BigInt(v)) };
    }
    default:
      return fail('UNSUPPORTED', `tensor '${name}' has data type ${String(t.dataType)}; sparsecnn reads float32, float64, int32 and int64`);
  }
}

export function tensorToProto(name: string, t: Tensor): TensorProto {
  // Copy the exact bytes of the view (a tensor may share a larger buffer).
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
  return { name, dims: [...t.shape], dataType: t.dtype === 'float32' ? DataType.FLOAT : DataType.INT64, rawData: bytes };
}
