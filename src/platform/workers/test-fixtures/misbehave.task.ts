/**
 * Task functions that misbehave on purpose, for the pool tests: they prove that a stuck,
 * memory-hungry or crashing task fails alone and leaves the pool serving.
 */

/** Reports how many bytes arrived, and whether they arrived as an owned (transferred) buffer. */
export function echo(input: { bytes: Uint8Array }): { length: number; first: number } {
  return { length: input.bytes.byteLength, first: input.bytes[0] };
}

/** Never returns: only terminating the thread stops it. */
export function spin(): never {
  for (;;) {
    // Busy loop on purpose.
  }
}

/** Keeps allocating JS objects until the heap limit of the worker is hit. */
export function hog(): number {
  const keep: unknown[] = [];
  for (;;) keep.push(new Array(100_000).fill({ n: keep.length }));
}

/** Throws outside the task's promise chain, which kills the worker thread. */
export function crash(): Promise<never> {
  setImmediate(() => {
    throw new Error('boom');
  });
  return new Promise(() => undefined);
}

/** Ends the worker thread abruptly. */
export function exit(): never {
  process.exit(3);
}
