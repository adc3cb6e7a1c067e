/**
 * The CyberTrace test server reads the events that arrive together in one process, one pcre2grep
 * run per regexp over all of them (pcreExtractAll); that must give, regexp by regexp and event by
 * event, what one run per regexp and event gives.
 */
import { describe, expect, it } from 'vitest';
import { allConnectors } from '../../connectors/registry.js';
import { sampleEvents } from '../../src/simulate/events.js';
import { exampleSite } from '../helpers/bundles.js';
import { pcreExtract, pcreExtractAll } from '../../src/cybertrace/pcre.js';

const site = exampleSite();

describe('pcre2grep over several events at once', () => {
  for (const c of allConnectors()) {
    it(`gives ${c.id}'s regexps the captures one run per event gives`, () => {
      const settings = c.cybertrace(site);
      const sample = sampleEvents(settings, site);
      const texts = [
        ...Array.from({ length: 12 }, (_, i) => sample.line(i)),
        'url=http://example.com/a:b?x=1 src=198.51.100.1 dst=203.0.113.9 md5=0123456789ABCDEF0123456789abcdef',
        'request=http://пример.рф/путь?q=ü suser=a\\b "quoted" fname=x:y:z',
        '',
        'two\nlines url=http://example.com/',
        'nul\u0000 url=http://example.com/',
        '1:2:3 not a line number',
      ];
      const all = pcreExtractAll(settings.input.regexps, texts);
      settings.input.regexps.forEach((r, k) => {
        expect(all[k], r.name).toEqual(texts.map((t) => pcreExtract(r.pattern, t, r.extract)));
      });
      expect(all.flat(2).length, 'the texts hold captures to compare').toBeGreaterThan(0);
    });
  }
});
