/**
 * CEF bundles keep the vendor's documented field order; it already leaves the free text that can
 * hold spaces (the record context) last, and URLs and user names cannot hold spaces (CyberTrace's
 * regexps end them at whitespace). So whatever the free-text values hold, a reader following
 * the CEF specification reads every fixed field as sent (the first occurrence of its key): only
 * the free-text fields themselves are misread. A ` key=` inside the context does repeat that key,
 * which a SIEM keeping the last occurrence would show instead: reported, and documented in
 * INSTALL.md. Covers every connector whose wire has a strict reader.
 */
import { describe, expect, it } from 'vitest';
import { allConnectors } from '../../connectors/registry.js';
import { renderCyberTraceFormat } from '../../src/cybertrace/render-event.js';
import { readCefStrict } from '../../src/formats/cef-strict.js';
import { exampleSite } from '../helpers/bundles.js';
import { plainValues, slotPlaceholders } from './hostile-set.js';

const site = exampleSite();

describe.each(
  allConnectors()
    .filter((c) => c.wire.strictMisreads)
    .map((c) => [c.id, c] as const),
)('%s', (_id, c) => {
  it('free text with "=", "\\\\" and " key=" cannot change a fixed field for a strict CEF reader', () => {
    const settings = c.cybertrace(site);
    const slots = slotPlaceholders(c, site);
    const values = { ...plainValues(c, site), [slots.url!]: 'x.example/?a=1&dst=6.6.6.6', [slots.user!]: 'CORP\\nick=x' };
    const context: Array<[string, string]> = [['note', 'a dst=6.6.6.6 reason=KL_Fake src=6.6.6.7 externalId=6 x\\y']];
    const line = renderCyberTraceFormat(settings.output.eventFormat, settings, { values, context });
    const plain = renderCyberTraceFormat(settings.output.eventFormat, settings, { values: plainValues(c, site), context: [['note', 'plain']] });
    const strict = readCefStrict(line);
    const sent = readCefStrict(plain);
    // The keys that carry the free text: those that change when only the free text does.
    const other = readCefStrict(
      renderCyberTraceFormat(settings.output.eventFormat, settings, {
        values: { ...plainValues(c, site), [slots.url!]: 'y.example', [slots.user!]: 'bob' },
        context: [['note', 'other']],
      }),
    );
    const free = [...sent.extension.keys()].filter((k) => other.extension.get(k) !== sent.extension.get(k));
    expect(free).toHaveLength(3);
    const misread = c.wire.strictMisreads!(line, site).map((m) => m.replace(/:.*/s, ''));
    // Free-text fields are misread; a fixed one only through a key the context repeats.
    const repeated = strict.problems.filter((p) => /appears more than once/.test(p.message)).map((p) => p.key);
    expect(repeated.sort()).toEqual(['dst', 'externalId', 'reason', 'src'].filter((k) => sent.extension.has(k)).sort());
    for (const m of misread) expect(/\((url|user|context)\)$/.test(m) || repeated.includes(m.split(' ')[0]), m).toBe(true);
    // The first occurrence of every fixed key is the value sent.
    for (const [key, v] of sent.extension) {
      if (free.includes(key)) continue;
      expect(strict.extension.get(key), key).toBe(v);
    }
  });
});
