import { isWorkerThread, move, transferableSymbol, valueSymbol } from 'piscina';

/**
 * Wraps a task result so that Piscina moves (not copies) the given buffers back to the
 * calling thread. The buffers must not be used by the worker afterwards. Outside a pool
 * worker (a task called directly) the value is returned as is.
 */
export function withTransfer<T>(value: T, buffers: ArrayBufferLike[]): T {
  if (!isWorkerThread) return value;
  const unique = [...new Set(buffers)].filter((b) => b instanceof ArrayBuffer && b.byteLength > 0);
  if (unique.length === 0) return value;
  const wrapper = {
    get [transferableSymbol]() {
      return unique;
    },
    get [valueSymbol]() {
      return value;
    },
  };
  return move(wrapper as never) as unknown as T;
}

/**
 * Returns a Uint8Array that owns its whole ArrayBuffer, so that the buffer can be
 * transferred without detaching memory shared with other views (e.g. Node's Buffer pool).
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  // A view over part of a buffer (small Node Buffers share one 8 KiB slab) is copied.
  if (whole && bytes.buffer instanceof ArrayBuffer) return bytes;
  return new Uint8Array(bytes);
}
