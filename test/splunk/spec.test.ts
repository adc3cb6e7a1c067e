/**
 * The generated apps against Splunk's own rules: every .conf key is one of the Splunk 9.2
 * `.conf.spec` files (lists below, copied from those specs: a key not in a spec is ignored or
 * rejected by Splunk, so extend a list only from the real spec), searchbnf.conf defines every
 * term its syntax uses, the KV-store settings hang together, and the search-head app of the
 * distributed scheme passes the Splunk Cloud checks that can be verified here.
 */
import { describe, expect, it } from 'vitest';
import { parseConf } from '../../connectors/splunk/conf.js';
import { fileText } from '../helpers/bundles.js';
import type { Bundle } from '../../src/bundle/build.js';
import { APP_ID, distributedBundle, splunkBundle } from './helpers/app.js';

const FORWARDER_ID = 'Kaspersky_CyberTrace_Forwarder_for_Splunk';
const single = await splunkBundle();
const distributed = await distributedBundle();

/** Keys of the Splunk 9.2 specs that the apps may use; `<…>` stands for any name, as in the specs. */
const SPEC_KEYS: Record<string, string[]> = {
  'app.conf': ['is_configured', 'state', 'is_visible', 'label', 'author', 'description', 'version', 'id', 'check_for_updates', 'name'],
  'collections.conf': ['enforceTypes', 'field.<name>', 'accelerated_fields.<name>', 'replicate'],
  'commands.conf': ['filename', 'chunked', 'python.version'],
  'inputs.conf': ['connection_host', 'sourcetype', 'index', '_TCP_ROUTING', 'acceptFrom'],
  'macros.conf': ['definition'],
  'outputs.conf': ['indexAndForward', 'server', 'sendCookedData'],
  'props.conf': [
    'SHOULD_LINEMERGE',
    'LINE_BREAKER',
    'TRUNCATE',
    'TIME_PREFIX',
    'TIME_FORMAT',
    'MAX_TIMESTAMP_LOOKAHEAD',
    'KV_MODE',
    'REPORT-<class>',
    'LOOKUP-<class>',
  ],
  'savedsearches.conf': [
    'description',
    'search',
    'disabled',
    'enableSched',
    'cron_schedule',
    'dispatch.earliest_time',
    'dispatch.latest_time',
    'counttype',
    'relation',
    'quantity',
    'alert.track',
    'alert.severity',
    'alert.digest_mode',
  ],
  'searchbnf.conf': ['syntax', 'simplesyntax', 'description', 'shortdesc', 'example<number>', 'comment<number>', 'usage', 'tags', 'related'],
  'transforms.conf': ['REGEX', 'FORMAT', 'MV_ADD', 'external_type', 'collection', 'fields_list', 'filename', 'case_sensitive_match', 'max_matches'],
  'default.meta': ['access', 'export'],
};

function keyPattern(spec: string): RegExp {
  const parts = spec.split(/<[^>]+>/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join(spec.includes('<number>') ? '\\d+' : '[A-Za-z0-9_.:-]+')}$`);
}

function confFiles(b: Bundle, id: string): Array<{ path: string; name: string; text: string }> {
  return b.files
    .filter((f) => f.path.startsWith(`${id}/`) && /\.(conf|meta)$/.test(f.path))
    .map((f) => ({ path: f.path, name: f.path.split('/').pop()!, text: String(f.content) }));
}

/** Problems: keys not in the spec of their file, and conf files that have no key list. */
function specProblems(b: Bundle, id: string): string[] {
  const problems: string[] = [];
  for (const f of confFiles(b, id)) {
    const allowed = SPEC_KEYS[f.name];
    if (!allowed) {
      problems.push(`${f.path}: no spec key list for ${f.name}`);
      continue;
    }
    const patterns = allowed.map(keyPattern);
    for (const [stanza, entries] of parseConf(f.text).stanzas) {
      for (const key of entries.keys()) if (!patterns.some((p) => p.test(key))) problems.push(`${f.path}: [${stanza}] ${key} is not a key of ${f.name}.spec`);
    }
  }
  return problems;
}

/** Terms of a searchbnf syntax: `<type>` datatypes and bare option-stanza names. */
function searchbnfProblems(text: string): string[] {
  // Splunk's own datatypes (system datatypesbnf.conf), as the searchbnf.conf.spec examples use them.
  const builtIn = new Set(['int', 'string']);
  const stanzas = parseConf(text).stanzas;
  const problems: string[] = [];
  for (const [name, entries] of stanzas) {
    const syntax = entries.get('syntax');
    if (syntax === undefined) continue;
    for (const m of syntax.matchAll(/<([^>:]+)(?::[^>]*)?>/g)) {
      if (!builtIn.has(m[1]) && !stanzas.has(m[1])) problems.push(`[${name}] uses <${m[1]}>, which is neither a Splunk datatype nor a stanza of this file`);
    }
    const bare = syntax.replace(/<[^>]*>/g, ' ').match(/[a-z][a-z0-9]*(?:-[a-z0-9]+)+/g) ?? [];
    for (const term of bare) if (!stanzas.has(term)) problems.push(`[${name}] uses ${term}, which is not a stanza of this file`);
  }
  return problems;
}

describe('every .conf key is in the Splunk 9.2 spec of its file', () => {
  it.each([
    ['single', single, APP_ID],
    ['distributed search head', distributed, APP_ID],
    ['distributed forwarder', distributed, FORWARDER_ID],
  ] as const)('%s', (_what, b, id) => {
    expect(confFiles(b, id).length).toBeGreaterThan(3);
    expect(specProblems(b, id)).toEqual([]);
  });

  it('the check finds a key the spec does not have', () => {
    const bad = {
      ...single,
      files: single.files.map((f) => (f.path === `${APP_ID}/default/collections.conf` ? { ...f, content: '[c]\nfield.a = string\nfieldz = 1\n' } : f)),
    };
    expect(specProblems(bad, APP_ID)).toEqual([`${APP_ID}/default/collections.conf: [c] fieldz is not a key of collections.conf.spec`]);
  });
});

/**
 * transforms.conf.spec (9.2): search-time FORMAT is `<field-name>::<field-value>( …)*`, each side a
 * string or one `$<n>`; "You cannot create concatenated fields with FORMAT at search time".
 */
function searchTimeFormatProblems(transforms: string): string[] {
  const side = /^(?:\$\d+|[^$\s:]+)$/;
  const problems: string[] = [];
  for (const [name, t] of parseConf(transforms).stanzas) {
    const format = t.get('FORMAT');
    if (format === undefined) continue;
    for (const pair of format.split(/\s+/)) {
      const [field, value, extra] = pair.split('::');
      if (extra !== undefined || value === undefined || !side.test(field) || !side.test(value))
        problems.push(`[${name}] FORMAT ${format}: "${pair}" is not name::value with each side a string or one $n`);
    }
  }
  return problems;
}

describe('transforms.conf', () => {
  it('search-time FORMAT never concatenates (the prefix of ctx_ fields is inside the captured name)', () => {
    const text = fileText(single, `${APP_ID}/default/transforms.conf`);
    expect(parseConf(text).stanzas.get('kl_cybertrace_context')!.get('FORMAT')).toBe('$1::$2');
    expect(searchTimeFormatProblems(text)).toEqual([]);
    expect(searchTimeFormatProblems('[a]\nFORMAT = ctx_$1::$2\n[b]\nFORMAT = x::$1.$2\n')).toEqual([
      '[a] FORMAT ctx_$1::$2: "ctx_$1::$2" is not name::value with each side a string or one $n',
      '[b] FORMAT x::$1.$2: "x::$1.$2" is not name::value with each side a string or one $n',
    ]);
  });
});

describe('searchbnf.conf', () => {
  it('defines every term its syntax uses', () => {
    const text = fileText(single, `${APP_ID}/default/searchbnf.conf`);
    expect(parseConf(text).stanzas.get('klsearch-command')!.get('usage')).toBe('public');
    expect(searchbnfProblems(text)).toEqual([]);
  });

  it('the check finds undefined terms', () => {
    expect(searchbnfProblems('[x-command]\nsyntax = x (<indicator-type>=<value>)* (x-options)?\n')).toEqual([
      '[x-command] uses <indicator-type>, which is neither a Splunk datatype nor a stanza of this file',
      '[x-command] uses <value>, which is neither a Splunk datatype nor a stanza of this file',
      '[x-command] uses x-options, which is not a stanza of this file',
    ]);
  });
});

describe('the admin-only CyberTrace setting', () => {
  const conf = (path: string) => parseConf(fileText(single, `${APP_ID}/${path}`)).stanzas;

  it('collection, lookup, permissions, views and script agree on the names', () => {
    const collection = conf('default/collections.conf').get('kl_cybertrace_settings')!;
    expect(Object.fromEntries(collection)).toEqual({ enforceTypes: 'true', 'field.KTCHost': 'string', 'field.KTCPort': 'number' });
    const lookup = conf('default/transforms.conf').get('kl_cybertrace_settings_lookup')!;
    expect(Object.fromEntries(lookup)).toEqual({ external_type: 'kvstore', collection: 'kl_cybertrace_settings', fields_list: '_key, KTCHost, KTCPort' });
    const meta = conf('metadata/default.meta');
    expect(meta.get('collections/kl_cybertrace_settings')!.get('access')).toBe('read : [ * ], write : [ admin, sc_admin ]');
    expect(meta.get('transforms/kl_cybertrace_settings_lookup')!.get('access')).toBe('read : [ * ], write : [ admin, sc_admin ]');
    expect(meta.get('views/kl_cybertrace_settings')!.get('access')).toBe('read : [ admin, sc_admin ], write : [ admin, sc_admin ]');
    const view = fileText(single, `${APP_ID}/default/data/ui/views/kl_cybertrace_settings.xml`);
    expect(view).toContain('| inputlookup kl_cybertrace_settings_lookup');
    expect(view).toContain('outputlookup append=true key_field=_key kl_cybertrace_settings_lookup');
    // Typed values reach the search through the |s filter (quoted and escaped), never raw.
    const queries = [...view.matchAll(/<query>([\s\S]*?)<\/query>/g)].map((m) => m[1]).join('\n');
    expect(queries.match(/\$[^$\s]+\$/g)).toEqual(['$host|s$', '$port|s$']);
    const config = JSON.parse(fileText(single, `${APP_ID}/bin/config.json`));
    expect(config.settings).toEqual({ app: APP_ID, collection: 'kl_cybertrace_settings', host_field: 'KTCHost', port_field: 'KTCPort' });
  });

  it('every view in the menu and in default.meta exists, and the menu links to the vendor documentation', () => {
    const nav = fileText(single, `${APP_ID}/default/data/ui/nav/default.xml`);
    const views = single.files
      .filter((f) => f.path.startsWith(`${APP_ID}/default/data/ui/views/`))
      .map((f) =>
        f.path
          .split('/')
          .pop()!
          .replace(/\.xml$/, ''),
      );
    expect(views).toEqual(expect.arrayContaining(['kl_cybertrace_status', 'kl_cybertrace_settings']));
    for (const m of nav.matchAll(/<view name="([^"]+)"/g)) if (m[1] !== 'search') expect(views).toContain(m[1]);
    for (const name of parseConf(fileText(single, `${APP_ID}/metadata/default.meta`)).stanzas.keys()) {
      if (name.startsWith('views/')) expect(views).toContain(name.slice('views/'.length));
    }
    expect(nav).toMatch(/<a href="https:\/\/support\.kaspersky\.com\/cyber-trace\/[^"]+" target="_blank">/);
  });

  it('the status dashboard charts detections and alerts over time, shows the last alert per feed and runs the self-test', () => {
    const view = fileText(single, `${APP_ID}/default/data/ui/views/kl_cybertrace_status.xml`);
    expect(view).toContain('category=* | eval category_title=coalesce(category_title, category) | timechart count by category_title');
    expect(view).toContain('alert=* | timechart count by alert');
    expect(view).toContain('stats latest(_time) AS last_time latest(alert) AS last_alert count AS alerts BY ctx_feed');
    expect(view).toMatch(/<input type="link" token="selftest"[^>]*>[\s\S]*<choice value="verification">/);
    expect(view).toContain('| klsearch $selftest$');
  });
});

describe('Splunk Cloud: the search-head app of the distributed scheme', () => {
  const files = distributed.files.filter((f) => f.path.startsWith(`${APP_ID}/`)).map((f) => f.path.slice(APP_ID.length + 1));

  /** The Cloud vetting rules that can be checked on the files. */
  function cloudProblems(paths: string[], text: (p: string) => string): string[] {
    const problems: string[] = [];
    if (paths.includes('default/outputs.conf')) problems.push('default/outputs.conf is not allowed in Splunk Cloud');
    if (paths.includes('default/inputs.conf')) {
      for (const s of parseConf(text('default/inputs.conf')).stanzas.keys())
        if (/^(tcp|udp|splunktcp)(-ssl)?:/.test(s)) problems.push(`inputs.conf [${s}] is a network input`);
    }
    for (const p of paths.filter((x) => x.endsWith('.conf'))) if (/^\s*\[tcpout/m.test(text(p))) problems.push(`${p}: tcpout settings`);
    const commands = paths.includes('default/commands.conf') ? parseConf(text('default/commands.conf')).stanzas : new Map();
    for (const [name, c] of commands) if (c.get('python.version') !== 'python3') problems.push(`commands.conf [${name}]: python.version must be python3`);
    return problems;
  }

  it('has no network inputs, no outputs.conf, no tcpout settings, and Python 3 commands', () => {
    expect(files).toEqual(expect.arrayContaining(['default/collections.conf', 'default/data/ui/views/kl_cybertrace_settings.xml', 'default/commands.conf']));
    expect(cloudProblems(files, (p) => fileText(distributed, `${APP_ID}/${p}`))).toEqual([]);
  });

  it('the check rejects the single-instance app, which is for Splunk Enterprise only', () => {
    const paths = single.files.filter((f) => f.path.startsWith(`${APP_ID}/`)).map((f) => f.path.slice(APP_ID.length + 1));
    expect(cloudProblems(paths, (p) => fileText(single, `${APP_ID}/${p}`))).toEqual([
      'default/outputs.conf is not allowed in Splunk Cloud',
      'inputs.conf [tcp://3000] is a network input',
      'inputs.conf [tcp://9998] is a network input',
      'default/outputs.conf: tcpout settings',
    ]);
  });

  it('the forwarder app sets no instance-wide [tcpout] settings, only its own output group', () => {
    const outputs = parseConf(fileText(distributed, `${FORWARDER_ID}/default/outputs.conf`)).stanzas;
    expect([...outputs.keys()]).toEqual(['tcpout:kaspersky_cybertrace']);
    expect(fileText(distributed, 'INSTALL.md')).toContain('### Splunk Cloud');
  });
});
