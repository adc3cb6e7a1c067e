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
  const cursor = { next: i, at: 4 };
  events.fill(out, cursor, i + 1, 5);
  const end = cursor.at;
  expect(cursor.next).toBe(i + 1);
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

  it.each(allConnectors().map((c) => c.id))('%s: one fill of many events, ids changing width, is their lines in order', (id) => {
    const c = allConnectors().find((x) => x.id === id)!;
    const events = sampleEvents(c.cybertrace(site), site, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
    // Event 8999 has id 9999 and event 9000 id 10000; 98999 and 99000 likewise.
    for (const from of [0, 8990, 98990]) {
      const out = Buffer.alloc(40 * events.maxBytes);
      const cursor = { next: from, at: 0 };
      events.fill(out, cursor, from + 30, out.length - events.maxBytes);
      expect(cursor.next).toBe(from + 30);
      const lines = Array.from({ length: 30 }, (_, k) => `${events.line(from + k)}\n`);
      expect(out.subarray(0, cursor.at).toString('utf8')).toBe(lines.join(''));
    }
  });

  it('fill stops at the limit and goes on from where it stopped', () => {
    const c = allConnectors().find((x) => x.id === 'splunk')!;
    const events = sampleEvents(c.cybertrace(site), site, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
    const out = Buffer.alloc(2 * events.maxBytes);
    const cursor = { next: 0, at: 0 };
    const got: string[] = [];
    while (cursor.next < 25) {
      events.fill(out, cursor, 25, 1); // room for one event only: one per call
      got.push(out.subarray(0, cursor.at).toString('utf8'));
      cursor.at = 0;
    }
    expect(got).toEqual(Array.from({ length: 25 }, (_, i) => `${events.line(i)}\n`));
  });

  it("a file's lines, non-ASCII included, cycle in order", () => {
    const events = cyclingEvents(['first', 'Société ✓ 東京', 'third']);
    expect([0, 1, 2, 3, 4].map((i) => bytesOf(events, i))).toEqual(['first\n', 'Société ✓ 東京\n', 'third\n', 'first\n', 'Société ✓ 東京\n']);
  });
});
