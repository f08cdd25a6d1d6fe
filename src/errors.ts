/**
 * Every failure a user can cause (bad file, bad shape, unsupported op, missing data) is a
 * SparseCnnError with a stable code, so the CLI prints one line and callers can branch on `code`.
 */
export type ErrorCode =
  | 'INVALID_MODEL'      // not an ONNX file, truncated, inconsistent graph
  | 'UNSUPPORTED'        // an op, attribute value, dtype or opset we do not implement
  | 'SHAPE_MISMATCH'     // inputs whose shape or dtype do not fit the graph
  | 'INVALID_ARGUMENT'   // an API/CLI argument out of range
  | 'NOT_FOUND'          // a file, directory, zoo name or dataset that is not there
  | 'INVALID_DATA'       // a dataset or image that cannot be decoded
  | 'EXISTS';            // refusing to overwrite a user's file

export class SparseCnnError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SparseCnnError';
    this.code = code;
  }
}

export function fail(code: ErrorCode, message: string): never {
  throw new SparseCnnError(code, message);
}

/** For internal invariants: a failure here is a sparsecnn bug, not a user error. */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`internal error: ${message}`);
}
