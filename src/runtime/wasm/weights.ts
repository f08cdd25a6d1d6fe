/**
 * Packed constants for the WebAssembly kernels, packed once per session and shared by every plan
 * (a plan exists per input-shape set). Offsets are relative to the weights region's base.
 */
import { alignUp } from '../arena.js';

export class WeightStore {
  private readonly byKey = new Map<string, number>();
  private readonly derived = new Map<string, unknown>();
  /** Packed blocks; Uint32 blocks hold integer tables (and raw float bits) and are copied byte for byte. */
  readonly blocks: { readonly offset: number; readonly data: Float32Array | Uint32Array }[] = [];
  private end = 0;
  /** Set when blocks were added since the last write to memory. */
  dirty = false;

  get bytes(): number {
    return this.end;
  }

  /**
   * A value derived from constant weights (e.g. a sparse packing and its kept-row count), computed
   * once per session although every input-shape plan asks for it.
   */
  memo<T>(key: string, make: () => T): T {
    if (!this.derived.has(key)) this.derived.set(key, make());
    return this.derived.get(key) as T;
  }

  /** The offset of the block for `key`, packing it on first use. */
  get(key: string, pack: () => Float32Array | Uint32Array): number {
    const hit = this.byKey.get(key);
    if (hit !== undefined) return hit;
    const data = pack();
    const offset = this.end;
    this.blocks.push({ offset, data });
    this.end = alignUp(offset + data.byteLength, 64);
    this.byKey.set(key, offset);
    this.dirty = true;
    return offset;
  }
}
