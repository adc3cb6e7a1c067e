/**
 * The Splunk bundle pins the FinishedEventFormat text its lookup script waits for: the patch of
 * kl_feed_service.conf writes that text whatever the element looked like before, and a second
 * patch changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { patchFeedServiceConfig } from '../../src/cybertrace/patch.js';
import { at, readXml, xmllint } from '../cybertrace/fixtures/xml-read.js';
import { splunkBundle } from './helpers/app.js';

const FIXTURE = readFileSync(new URL('../cybertrace/fixtures/kl_feed_service.conf', import.meta.url), 'utf8');
const settings = (await splunkBundle()).settings;
const PINNED = settings.output.finishedEventText!;

describe('FinishedEventFormat of the Splunk bundle', () => {
  const element = /<FinishedEventFormat[^>]*?(?:\/>|>[^<]*<\/FinishedEventFormat>)/;
  it.each([
    ['with the default text', '<FinishedEventFormat enabled="true">LookupFinished</FinishedEventFormat>'],
    ['self-closing, no text', '<FinishedEventFormat enabled="true"/>'],
    ['self-closing, no attribute', '<FinishedEventFormat />'],
    ['absent', ''],
  ])('is written with the pinned text when the file has it %s', (_what, replacement) => {
    expect(FIXTURE).toMatch(element);
    const input = FIXTURE.replace(element, replacement);
    const out = patchFeedServiceConfig(input, settings);
    expect(xmllint(out.text)).toBe('');
    const el = at(readXml(out.text), 'OutputSettings/FinishedEventFormat');
    expect(el.text).toBe(PINNED);
    expect(el.attrs.enabled).toBe('false');
    expect(patchFeedServiceConfig(out.text, settings).changed).toBe(false);
  });
});
