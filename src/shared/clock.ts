/** Source of the current time, injectable so tests can move it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can set and advance. */
export function fixedClock(start = new Date('2026-01-01T00:00:00.000Z')) {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
    set(d: Date) {
      t = d.getTime();
    },
  };
}

/** ISO-8601 string with milliseconds: the portable, sortable timestamp stored in both dialects. */
export function iso(d: Date): string {
  return d.toISOString();
}
