/**
 * The sample events of `simulate` as text (`--print`) and as the bytes sent are the same, for
 * every connector's format, alerts and detections, short and long ids, and a file's own lines.
 */
import { describe, expect, it } from 'vitest';
import { allConnectors } from '../../connectors/registry.js';
import { exampleSite } from '../helpers/bundles.js';
import { cyclingEvents, sampleEvents } from '../../src/simulate/events.js';
import type { EventSource } from '../../src/simulate/send.js';

const site = exampleSite();

function bytesOf(events: EventSource, i: number): string {
  const out = Buffer.alloc(events.maxBytes + 8, 0xff);
  const end = events.encode(i, out, 4);
  expect(end - 4).toBeLessThanOrEqual(events.maxBytes);
  expect(out[end]).toBe(0xff); // nothing written past the end it reports
  return out.subarray(4, end).toString('utf8');
}

describe('simulate events: text and bytes', () => {
  it.each(allConnectors().map((c) => c.id))('%s: encode(i) is line(i) and an LF', (id) => {
    const c = allConnectors().find((x) => x.id === id)!;
    const events = sampleEvents(c.cybertrace(site), site, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
    for (const i of [...Array(120).keys(), 99_999, 1_000_000_007, Number.MAX_SAFE_INTEGER - 1000]) {
      expect(bytesOf(events, i)).toBe(`${events.line(i)}\n`);
    }
    expect(events.line(11)).toContain('1011');
  });

  it("a file's lines, non-ASCII included, cycle in order", () => {
    const events = cyclingEvents(['first', 'Société ✓ 東京', 'third']);
    expect([0, 1, 2, 3, 4].map((i) => bytesOf(events, i))).toEqual(['first\n', 'Société ✓ 東京\n', 'third\n', 'first\n', 'Société ✓ 東京\n']);
  });
});
