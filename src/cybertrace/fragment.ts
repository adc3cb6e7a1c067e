/**
 * The CyberTrace settings of one connector as text a human or a tool applies: an XML fragment
 * shaped like kl_feed_service.conf, and a Markdown settings sheet. The XML writers here are
 * shared with patch.ts so that both produce the same bytes for the same value.
 */
import type { CyberTraceSettings, RegExpDef } from '../model/cybertrace.js';
import { markdownText, xmlAttr, xmlText } from '../render/escape.js';
import { InternalError } from '../kernel/errors.js';

/** How multi-line XML is laid out: line ending and one level of indentation. */
export interface XmlLayout {
  eol: string;
  unit: string;
}

// NCName (XML Name without ':'): a prefix would need a namespace declaration CyberTrace never writes.
const NAME_START =
  'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D' +
  '\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
// The XML name ranges include combining marks (U+0300–U+036F) on purpose: they may follow a start character.
// eslint-disable-next-line no-misleading-character-class
const NCNAME = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`, 'u');

/** Throws unless `name` can be used as an element name (regexp names become element names). */
export function assertXmlName(name: string): void {
  if (!NCNAME.test(name)) {
    throw new InternalError(
      `regexp name ${JSON.stringify(name)} is not a valid XML element name (letters, digits, "_", "-", "." only; not starting with a digit, "-" or ".")`,
    );
  }
}

// Characters XML 1.0 cannot carry at all, not even in CDATA (controls are refused by xmlText).
const NOT_XML_CHAR = /[\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when a value is written as CDATA: markup characters, or whitespace at either end a reader could trim. */
export function needsCdata(value: string): boolean {
  return /[<>&]/.test(value) || /^\s|\s$/.test(value);
}

/**
 * Element content that an XML parser reads back as exactly `value`. CDATA keeps regexps and
 * formats legible (no &lt;) and shows leading/trailing spaces; `]]>` is split across two sections.
 */
export function xmlContent(value: string): string {
  xmlText(value);
  if (NOT_XML_CHAR.test(value)) throw new InternalError(`${JSON.stringify(value)} contains a character XML cannot hold`);
  if (!needsCdata(value)) return value;
  return `<![CDATA[${value.split(']]>').join(']]]]><![CDATA[>')}]]>`;
}

/** `<NAME type="…" extract="…">pattern</NAME>` */
export function renderRegexp(r: RegExpDef): string {
  assertXmlName(r.name);
  return `<${r.name} type="${xmlAttr(r.type)}" extract="${xmlAttr(r.extract)}">${xmlContent(r.pattern)}</${r.name}>`;
}

/**
 * The whole `<Source id="default">` element. `indent` is the indentation of its own line (the
 * caller writes it); children get one more level. A null layout writes everything on one line.
 * `kept`: elements of the existing Source that are not regexps (normalizing rules), written first as they were.
 */
export function renderDefaultSource(regexps: RegExpDef[], indent: string, layout: XmlLayout | null, kept: string[] = []): string {
  const seen = new Set<string>();
  for (const r of regexps) {
    if (seen.has(r.name)) throw new InternalError(`regexp ${r.name} is defined twice`);
    seen.add(r.name);
  }
  const children = [...kept, ...regexps.map(renderRegexp)];
  if (children.length === 0) return '<Source id="default"/>';
  if (!layout) return `<Source id="default">${children.join('')}</Source>`;
  const inner = children.map((c) => `${indent}${layout.unit}${c}`).join(layout.eol);
  return `<Source id="default">${layout.eol}${inner}${layout.eol}${indent}</Source>`;
}

/** Where each setting is in kl_feed_service.conf, as `A > B` paths for texts. */
export interface SettingsPlaces {
  input: string;
  output: string;
  /** Parent of EventFormat, ActionableFieldContextFormat and FinishedEventFormat. */
  events: string;
  /** The service alerts' elements, when this bundle sets them (top level in 3.x/4.x, ServiceAlertsSettings in 5.x). */
  alert?: { format: string; connection?: string; context?: string };
  /** The tenant, when the settings go into a Domain. */
  tenant?: string;
  five: boolean;
  /** Feed renames are not applied: the top-level Feeds serve every tenant. */
  feedsShared: boolean;
}

/**
 * 3.x/4.x: top-level InputSettings/OutputSettings; a 4.x tenant: the same inside its Domain; 5.x:
 * inside `Domains > Domain`, the detection formats in `OutputSettings > EventSettings`, the
 * service alerts in `NotificationSettings > ServiceAlertsSettings` (CyberTrace 5.x help, pages
 * 198830, 198889, 296063, 296034).
 */
export function settingsPlaces(s: CyberTraceSettings): SettingsPlaces {
  const t = s.target;
  const five = t?.version === '5.x';
  const domain = t?.tenant !== undefined ? `Domains > Domain name="${t.tenant}" > ` : '';
  const output = `${domain}OutputSettings`;
  const alert =
    s.output.alertFormat === undefined
      ? undefined
      : five
        ? t.serviceAlerts
          ? {
              format: 'NotificationSettings > ServiceAlertsSettings > AlertFormat',
              connection: 'NotificationSettings > ServiceAlertsSettings > AlertConnectionString',
              context: 'NotificationSettings > ServiceAlertsSettings > ContextFormat',
            }
          : undefined
        : domain
          ? undefined
          : { format: `${output} > AlertFormat` };
  return {
    input: `${domain}InputSettings`,
    output,
    events: five ? `${output} > EventSettings` : output,
    ...(alert ? { alert } : {}),
    ...(t?.tenant !== undefined ? { tenant: t.tenant } : {}),
    five,
    feedsShared: five || domain !== '',
  };
}

/** XML comments cannot contain "--" nor end with "-". */
function xmlComment(text: string): string {
  return `<!-- ${text.replace(/--/g, '- -').replace(/-$/, '- ')} -->`;
}

/** Element content for FinishedEventFormat when the element has to be created (the service's default text). */
export const DEFAULT_FINISHED_EVENT_TEXT = 'LookupFinished';

/** Readable fragment holding exactly the elements a connector sets, laid out like kl_feed_service.conf. */
export function settingsToXmlFragment(s: CyberTraceSettings): string {
  const u = '  ';
  const layout: XmlLayout = { eol: '\n', unit: u };
  const el = (name: string, value: string): string => `<${name}>${xmlContent(value)}</${name}>`;
  const places = settingsPlaces(s);
  const L: string[] = [];
  L.push('<Configuration>');
  L.push(
    `${u}${xmlComment(`kl_feed_service.conf elements set by this connector (CyberTrace ${s.versions.join(', ')}). Every other element keeps its value.`)}`,
  );
  // With a tenant, everything sits one level deeper, inside its Domain.
  let d = u;
  if (places.tenant !== undefined) {
    L.push(`${u}<Domains>`);
    L.push(`${u}${u}${xmlComment(`only this tenant's settings; other tenants keep theirs. The tenant is created in CyberTrace Web`)}`);
    L.push(`${u}${u}<Domain name="${xmlAttr(places.tenant)}">`);
    d = u.repeat(3);
  }
  L.push(`${d}<InputSettings>`);
  L.push(`${d}${u}${el('ConnectionString', s.input.connectionString)}`);
  if (s.input.eventDelimiter !== undefined) L.push(`${d}${u}${el('EventDelimiter', s.input.eventDelimiter)}`);
  else L.push(`${d}${u}${xmlComment('EventDelimiter: not set by this connector, keep the existing one')}`);
  L.push(`${d}${u}<RegExps>`);
  L.push(`${d}${u}${u}${xmlComment('replaces the whole default Source; other Source elements stay')}`);
  L.push(`${d}${u}${u}${renderDefaultSource(s.input.regexps, d + u + u, layout)}`);
  L.push(`${d}${u}</RegExps>`);
  L.push(`${d}</InputSettings>`);
  L.push(`${d}<OutputSettings>`);
  const o = s.output;
  const finished = (indent: string): void => {
    if (o.finishedEventText !== undefined) {
      L.push(
        `${indent}<FinishedEventFormat enabled="${o.finishedEventEnabled}">${xmlContent(o.finishedEventText)}</FinishedEventFormat> ${xmlComment('the text is pinned: the lookup client waits for a line starting with it')}`,
      );
    } else {
      L.push(`${indent}<FinishedEventFormat enabled="${o.finishedEventEnabled}"/> ${xmlComment('only the enabled attribute is set; keep the element text')}`);
    }
  };
  L.push(`${d}${u}${el('ConnectionString', o.connectionString)}`);
  if (places.five) {
    L.push(`${d}${u}<EventSettings>`);
    L.push(`${d}${u}${u}${el('EventFormat', o.eventFormat)}`);
    L.push(`${d}${u}${u}${el('ActionableFieldContextFormat', o.actionableFieldContextFormat)}`);
    finished(`${d}${u}${u}`);
    L.push(`${d}${u}</EventSettings>`);
    L.push(`${d}${u}${el('RecordFieldContextFormat', o.recordFieldContextFormat)}`);
  } else {
    L.push(`${d}${u}${el('EventFormat', o.eventFormat)}`);
    if (places.alert) L.push(`${d}${u}${el('AlertFormat', o.alertFormat!)}`);
    else if (o.alertFormat === undefined)
      L.push(`${d}${u}${xmlComment('AlertFormat: not set by this connector (no service alerts); an existing one is kept')}`);
    else L.push(`${d}${u}${xmlComment("AlertFormat: service alerts go with the General tenant's OutputSettings only")}`);
    L.push(`${d}${u}${el('RecordFieldContextFormat', o.recordFieldContextFormat)}`);
    L.push(`${d}${u}${el('ActionableFieldContextFormat', o.actionableFieldContextFormat)}`);
    finished(`${d}${u}`);
  }
  L.push(`${d}</OutputSettings>`);
  if (places.tenant !== undefined) {
    L.push(`${u}${u}</Domain>`);
    L.push(`${u}</Domains>`);
  }
  if (places.five) {
    if (places.alert) {
      L.push(`${u}<NotificationSettings>`);
      L.push(`${u}${u}<ServiceAlertsSettings>`);
      L.push(`${u}${u}${u}<AlertConnectionString enabled="true">${xmlContent(o.connectionString)}</AlertConnectionString>`);
      L.push(`${u}${u}${u}${el('AlertFormat', o.alertFormat!)}`);
      L.push(`${u}${u}${u}${el('ContextFormat', o.recordFieldContextFormat)}`);
      L.push(`${u}${u}</ServiceAlertsSettings>`);
      L.push(`${u}</NotificationSettings>`);
    } else {
      L.push(`${u}${xmlComment('NotificationSettings: service alerts are global in 5.x and go to another SIEM of this CyberTrace; keep them')}`);
    }
  }
  L.push(`${u}<Feeds>`);
  const renames = Object.entries(s.feedFieldRenames);
  if (renames.length === 0) L.push(`${u}${u}${xmlComment('no feed field renames')}`);
  for (const [from, to] of renames) {
    L.push(
      `${u}${u}${xmlComment(
        places.feedsShared
          ? `not renamed: the Feeds serve every tenant (input_regexp_to_match="${from}" would become "${to}")`
          : `renames: in every Feed, input_regexp_to_match="${from}" becomes input_regexp_to_match="${to}"`,
      )}`,
    );
  }
  L.push(`${u}</Feeds>`);
  L.push('</Configuration>');
  return L.join('\n') + '\n';
}

// ---- Markdown sheet ----

/** A code span showing `value` exactly; in a table cell GFM reads `\|` as `|` even inside code. */
function codeSpan(value: string, inTable: boolean): string {
  const body = inTable ? value.replace(/\|/g, '\\|') : value;
  const longest = Math.max(0, ...(value.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  // A space on both sides is stripped by Markdown, so padding keeps edge spaces and backticks intact.
  const pad = /^[` ]|[` ]$/.test(body) && /[^ ]/.test(body) ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

function fenced(value: string, lang: string): string {
  const longest = Math.max(0, ...(value.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${value}\n${fence}`;
}

/** "ends with 1 space" etc.: whitespace at the edges is invisible in a code block, so the sheet says it. */
function edgeWhitespaceNote(value: string): string {
  const describe = (ws: string): string => {
    const spaces = ws.replace(/\t/g, '').length;
    const tabs = ws.length - spaces;
    const parts = [];
    if (spaces) parts.push(`${spaces} space${spaces > 1 ? 's' : ''}`);
    if (tabs) parts.push(`${tabs} tab${tabs > 1 ? 's' : ''}`);
    return parts.join(' and ');
  };
  const notes: string[] = [];
  const lead = /^\s+/.exec(value)?.[0];
  const trail = /\s+$/.exec(value)?.[0];
  if (lead && lead.length < value.length) notes.push(`starts with ${describe(lead)}`);
  if (trail) notes.push(`ends with ${describe(trail)}`);
  return notes.length ? `${notes.join(', ')}; keep ${notes.length > 1 ? 'them' : 'it'}` : '';
}

/** Short, plain values go inline in the table; the rest (and any that needs CDATA in the file) get a block of their own. */
function fitsInline(value: string): boolean {
  return value.length > 0 && value.length <= 60 && !/[|`]/.test(value) && !needsCdata(value);
}

/**
 * The settings of a bundle as the list items of its INSTALL.md ("apply the CyberTrace settings",
 * templates/partials/cybertrace-settings.hbs): every value comes from the settings themselves.
 */
export function settingsChecklist(s: CyberTraceSettings, siemTitle: string): string[] {
  const o = s.output;
  const value = (v: string): string => {
    const note = edgeWhitespaceNote(v);
    return `${codeSpan(v, false)}${note ? ` (${note})` : ''}`;
  };
  const names = (list: string[]): string => {
    const quoted = list.map((n) => codeSpan(n, false));
    return quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}` : quoted.join('');
  };
  const p = settingsPlaces(s);
  const out = [
    `\`${p.input} > ConnectionString\` = ${value(s.input.connectionString)} — where CyberTrace listens for the events ${markdownText(siemTitle)} forwards.`,
  ];
  if (s.input.eventDelimiter !== undefined) out.push(`\`${p.input} > EventDelimiter\` = ${value(s.input.eventDelimiter)}.`);
  out.push(`\`${p.input} > RegExps > Source id="default"\`: ${names(s.input.regexps.map((r) => r.name))} (patterns in \`cybertrace/SETTINGS.md\`).`);
  out.push(`\`${p.output} > ConnectionString\` = ${value(o.connectionString)} — where CyberTrace sends its events (${markdownText(siemTitle)}).`);
  out.push(`\`${p.events} > EventFormat\` (detection events) = ${value(o.eventFormat)}`);
  if (p.alert) out.push(`\`${p.alert.format}\` (service events) = ${value(o.alertFormat!)}`);
  if (p.alert?.connection) out.push(`\`${p.alert.connection}\` = ${value(o.connectionString)} with \`enabled="true"\`.`);
  if (p.alert?.context) out.push(`\`${p.alert.context}\` = ${value(o.recordFieldContextFormat)}`);
  out.push(`\`${p.output} > RecordFieldContextFormat\` = ${value(o.recordFieldContextFormat)}`);
  out.push(`\`${p.events} > ActionableFieldContextFormat\` = ${value(o.actionableFieldContextFormat)}`);
  out.push(
    o.finishedEventText === undefined
      ? `\`${p.events} > FinishedEventFormat\`: attribute \`enabled="${o.finishedEventEnabled}"\`, the element's text kept.`
      : `\`${p.events} > FinishedEventFormat\` = ${value(o.finishedEventText)} with \`enabled="${o.finishedEventEnabled}"\`: clients ask for finished events by mode header and wait for this text.`,
  );
  const byTarget = new Map<string, string[]>();
  for (const [from, to] of Object.entries(s.feedFieldRenames)) byTarget.set(to, [...(byTarget.get(to) ?? []), from]);
  for (const [to, from] of byTarget) {
    out.push(
      p.feedsShared
        ? `The \`Feeds\` element serves every tenant and is left alone: ${names(from)} stay (this integration's regexp is ${codeSpan(to, false)}).`
        : `In the \`Feeds\` element, every ${names(from)} is replaced with ${codeSpan(to, false)}.`,
    );
  }
  return out;
}

interface SheetItem {
  path: string;
  element: string;
  value: string;
}

/**
 * A Markdown sheet a human follows in CyberTrace Web or a text editor: every element and its
 * exact value (in code, edge spaces called out and visible in the XML form), the regexps, the feed renames.
 */
export function settingsToSheet(s: CyberTraceSettings, title: string): string {
  const o = s.output;
  const p = settingsPlaces(s);
  const out: string[] = [];
  out.push(`# ${title}`, '');
  out.push(
    `These are the settings of \`kl_feed_service.conf\` for this integration (CyberTrace ${markdownText(s.versions.join(', '))}). ` +
      'Set them in CyberTrace Web, or edit the file:',
    '',
  );
  out.push('- Linux: `/opt/kaspersky/ktfs/etc/kl_feed_service.conf`');
  out.push('- Windows: `%CyberTrace_installDir%\\bin\\kl_feed_service.conf`', '');
  out.push('`ctconnect cybertrace patch` applies all of them to an existing file and shows the diff. Elements not listed here keep their values.', '');
  if (p.tenant !== undefined) {
    out.push(
      `They are the settings of the tenant **${markdownText(p.tenant)}** (\`Domains > Domain name="${markdownText(p.tenant)}"\`); other tenants keep theirs. ` +
        'In CyberTrace Web, switch to Data management mode, select this tenant, and enter them on its Settings pages.',
      '',
    );
  }

  out.push('## Elements', '');
  out.push(`| Element (under ${p.five ? 'the root element' : '`Configuration`'}) | Value | Note |`, '|---|---|---|');
  const blocks: SheetItem[] = [];
  const valueRow = (path: string, element: string, value: string | undefined, unset = ''): void => {
    if (value === undefined) {
      out.push(`| \`${path}\` | not set by this integration | ${unset} |`);
      return;
    }
    const inline = fitsInline(value);
    if (!inline) blocks.push({ path, element, value });
    out.push(`| \`${path}\` | ${inline ? codeSpan(value, true) : '[exact value below](#exact-values)'} | ${edgeWhitespaceNote(value)} |`);
  };
  valueRow(`${p.input} > ConnectionString`, 'ConnectionString', s.input.connectionString);
  valueRow(`${p.input} > EventDelimiter`, 'EventDelimiter', s.input.eventDelimiter, 'keep the existing one');
  out.push(
    `| \`${p.input} > RegExps > Source id="default"\` | ${s.input.regexps.length} regular expressions | see [Regular expressions](#regular-expressions) |`,
  );
  valueRow(`${p.output} > ConnectionString`, 'ConnectionString', o.connectionString);
  valueRow(`${p.events} > EventFormat`, 'EventFormat', o.eventFormat);
  if (p.alert) valueRow(p.alert.format, 'AlertFormat', o.alertFormat);
  else if (o.alertFormat === undefined)
    valueRow(`${p.output} > AlertFormat`, 'AlertFormat', undefined, 'keep the existing one; without it the service sends no alerts');
  else
    out.push(
      `| service alerts | not set by this integration | ${p.five ? 'global in 5.x: another SIEM of this CyberTrace receives them' : "only the General tenant's OutputSettings sends them"} |`,
    );
  if (p.alert?.connection) valueRow(p.alert.connection, 'AlertConnectionString', o.connectionString);
  if (p.alert?.context) valueRow(p.alert.context, 'ContextFormat', o.recordFieldContextFormat);
  valueRow(`${p.output} > RecordFieldContextFormat`, 'RecordFieldContextFormat', o.recordFieldContextFormat);
  valueRow(`${p.events} > ActionableFieldContextFormat`, 'ActionableFieldContextFormat', o.actionableFieldContextFormat);
  out.push(
    `| \`${p.events} > FinishedEventFormat\`, attribute \`enabled\` | ${codeSpan(String(o.finishedEventEnabled), true)} | ${o.finishedEventText === undefined ? 'keep the element text' : 'clients ask for finished events by mode header'} |`,
  );
  if (o.finishedEventText !== undefined) valueRow(`${p.events} > FinishedEventFormat`, 'FinishedEventFormat', o.finishedEventText);
  out.push(`| \`Feeds\` | ${Object.keys(s.feedFieldRenames).length} field renames | see [Feed field renames](#feed-field-renames) |`);
  out.push('');

  if (blocks.length) {
    out.push('## Exact values', '');
    out.push('Each value as text, then as it is written in the file (CDATA keeps `<`, `&` and spaces at the ends as they are).', '');
    for (const it of blocks) {
      out.push(`### ${markdownText(it.path)}`, '');
      const note = edgeWhitespaceNote(it.value);
      if (note) out.push(`The value ${note}.`, '');
      out.push(fenced(it.value, 'text'), '');
      out.push(fenced(`<${it.element}>${xmlContent(it.value)}</${it.element}>`, 'xml'), '');
    }
  }

  out.push('## Regular expressions', '');
  out.push(
    `Children of \`${p.five ? '' : 'Configuration > '}${p.input} > RegExps > Source id="default"\`. Each name can be used as \`%NAME%\` in the output formats.`,
    '',
  );
  out.push('| Name | Type | Extract | Purpose | Pattern |', '|---|---|---|---|---|');
  for (const r of s.input.regexps) {
    const edges = edgeWhitespaceNote(r.pattern);
    out.push(
      `| ${codeSpan(r.name, true)} | ${r.type} | ${r.extract} | ${markdownText(r.purpose)} | ${codeSpan(r.pattern, true)}${edges ? ` (${edges})` : ''} |`,
    );
  }
  out.push('');
  out.push('The whole element, exact (replace the existing `Source id="default"`; other `Source` elements stay):', '');
  out.push(fenced(renderDefaultSource(s.input.regexps, '', { eol: '\n', unit: '  ' }), 'xml'), '');

  out.push('## Feed field renames', '');
  const renames = Object.entries(s.feedFieldRenames);
  if (renames.length === 0) {
    out.push('None.', '');
  } else if (p.feedsShared) {
    out.push(
      'The top-level `Feeds` serve every tenant, so they are not changed. Where no other tenant uses the old names, you may change these `input_regexp_to_match` values by hand:',
      '',
    );
    out.push('| Old value | New value |', '|---|---|');
    for (const [from, to] of renames) out.push(`| ${codeSpan(from, true)} | ${codeSpan(to, true)} |`);
    out.push('');
  } else {
    out.push('In `Configuration > Feeds`, change every `input_regexp_to_match` attribute that has the old value:', '');
    out.push('| Old value | New value |', '|---|---|');
    for (const [from, to] of renames) out.push(`| ${codeSpan(from, true)} | ${codeSpan(to, true)} |`);
    out.push('');
  }

  out.push('## Then', '');
  out.push('Restart the Feed Service:', '');
  out.push('- Linux: `/opt/kaspersky/ktfs/etc/init.d/kl_feed_service restart`');
  out.push('- Windows: `%CyberTrace_installDir%\\bin\\kl_control.bat restart`', '');
  return out.join('\n');
}
