/**
 * Pacing of `simulate` (src/simulate/send.ts `pace`) with an injected clock: which events go in
 * which batch at which moment. No real time is involved.
 */
import { describe, expect, it } from 'vitest';
import { pace, type Clock } from '../../src/simulate/send.js';

/** A clock whose sleeps take `late` ms longer than asked (a busy machine); records every batch with its time. */
async function run(count: number, rate: number, late = 0): Promise<{ batches: Array<[number, number, number]>; sleeps: number }> {
  let t = 1000; // any start: pacing is relative to it
  const start = t;
  let sleeps = 0;
  const clock: Clock = {
    now: () => t,
    sleep: async (ms) => {
      expect(ms).toBeGreaterThan(0);
      sleeps++;
      t += ms + late;
    },
  };
  const batches: Array<[number, number, number]> = [];
  await pace(count, rate, clock, async (from, to) => {
    batches.push([from, to, t - start]);
  });
  return { batches, sleeps };
}

describe('simulate pacing', () => {
  it('with an exact clock, event i goes at exactly i/rate seconds, one per wake-up', async () => {
    const { batches, sleeps } = await run(10, 4);
    expect(batches).toEqual(Array.from({ length: 10 }, (_, i) => [i, i + 1, i * 250]));
    expect(sleeps).toBe(9);
  });

  it('a rate that does not divide a second: no event early, none left for a needless extra wake-up', async () => {
    const { batches, sleeps } = await run(31, 3);
    expect(batches.map(([from, to]) => to - from)).toEqual(Array(31).fill(1));
    batches.forEach(([from, , at]) => expect(at).toBeCloseTo((from * 1000) / 3, 6));
    expect(sleeps).toBe(30);
  });

  it('when the sender wakes late, every event due by then goes in one batch and none goes early', async () => {
    const rate = 100;
    const { batches } = await run(1000, rate, 35);
    // Batches are contiguous and cover every event once.
    expect(batches[0][0]).toBe(0);
    expect(batches.at(-1)![1]).toBe(1000);
    batches.slice(1).forEach(([from], k) => expect(from).toBe(batches[k][1]));
    for (const [from, to, at] of batches) {
      expect(((to - 1) * 1000) / rate).toBeLessThanOrEqual(at + 1e-6); // the last event of the batch was due
      expect(to === 1000 || (to * 1000) / rate > at).toBe(true); // the next one was not
      expect(from).toBeLessThan(to);
    }
    // Sleeping 35 ms too long each time, batches are about 4-5 events: the average rate is kept.
    expect(batches.length).toBeLessThan(1000 / 3);
  });

  it('rate 0: every event at once, no sleeping', async () => {
    expect(await run(200_000, 0)).toEqual({ batches: [[0, 200_000, 0]], sleeps: 0 });
  });
});
