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
    throw new InternalError(`regexp name ${JSON.stringify(name)} is not a valid XML element name (letters, digits, "_", "-", "." only; not starting with a digit, "-" or ".")`);
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
  const L: string[] = [];
  L.push('<Configuration>');
  L.push(`${u}${xmlComment(`kl_feed_service.conf elements set by this connector (CyberTrace ${s.versions.join(', ')}). Every other element keeps its value.`)}`);
  L.push(`${u}<InputSettings>`);
  L.push(`${u}${u}${el('ConnectionString', s.input.connectionString)}`);
  if (s.input.eventDelimiter !== undefined) L.push(`${u}${u}${el('EventDelimiter', s.input.eventDelimiter)}`);
  else L.push(`${u}${u}${xmlComment('EventDelimiter: not set by this connector, keep the existing one')}`);
  L.push(`${u}${u}<RegExps>`);
  L.push(`${u}${u}${u}${xmlComment('replaces the whole default Source; other Source elements stay')}`);
  L.push(`${u}${u}${u}${renderDefaultSource(s.input.regexps, u.repeat(3), layout)}`);
  L.push(`${u}${u}</RegExps>`);
  L.push(`${u}</InputSettings>`);
  L.push(`${u}<OutputSettings>`);
  const o = s.output;
  L.push(`${u}${u}${el('ConnectionString', o.connectionString)}`);
  L.push(`${u}${u}${el('EventFormat', o.eventFormat)}`);
  if (o.alertFormat !== undefined) L.push(`${u}${u}${el('AlertFormat', o.alertFormat)}`);
  else L.push(`${u}${u}${xmlComment('AlertFormat: not set by this connector (no service alerts); an existing one is kept')}`);
  L.push(`${u}${u}${el('RecordFieldContextFormat', o.recordFieldContextFormat)}`);
  L.push(`${u}${u}${el('ActionableFieldContextFormat', o.actionableFieldContextFormat)}`);
  if (o.finishedEventText !== undefined) {
    L.push(`${u}${u}<FinishedEventFormat enabled="${o.finishedEventEnabled}">${xmlContent(o.finishedEventText)}</FinishedEventFormat> ${xmlComment('the text is pinned: the lookup client waits for a line starting with it')}`);
  } else {
    L.push(`${u}${u}<FinishedEventFormat enabled="${o.finishedEventEnabled}"/> ${xmlComment('only the enabled attribute is set; keep the element text')}`);
  }
  L.push(`${u}</OutputSettings>`);
  L.push(`${u}<Feeds>`);
  const renames = Object.entries(s.feedFieldRenames);
  if (renames.length === 0) L.push(`${u}${u}${xmlComment('no feed field renames')}`);
  for (const [from, to] of renames) {
    L.push(`${u}${u}${xmlComment(`renames: in every Feed, input_regexp_to_match="${from}" becomes input_regexp_to_match="${to}"`)}`);
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
  const out = [`\`InputSettings > ConnectionString\` = ${value(s.input.connectionString)} — where CyberTrace listens for the events ${markdownText(siemTitle)} forwards.`];
  if (s.input.eventDelimiter !== undefined) out.push(`\`InputSettings > EventDelimiter\` = ${value(s.input.eventDelimiter)}.`);
  out.push(`\`InputSettings > RegExps > Source id="default"\`: ${names(s.input.regexps.map((r) => r.name))} (patterns in \`cybertrace/SETTINGS.md\`).`);
  out.push(`\`OutputSettings > ConnectionString\` = ${value(o.connectionString)} — where CyberTrace sends its events (${markdownText(siemTitle)}).`);
  out.push(`\`OutputSettings > EventFormat\` (detection events) = ${value(o.eventFormat)}`);
  if (o.alertFormat !== undefined) out.push(`\`OutputSettings > AlertFormat\` (service events) = ${value(o.alertFormat)}`);
  out.push(`\`OutputSettings > RecordFieldContextFormat\` = ${value(o.recordFieldContextFormat)}`);
  out.push(`\`OutputSettings > ActionableFieldContextFormat\` = ${value(o.actionableFieldContextFormat)}`);
  out.push(
    o.finishedEventText === undefined
      ? `\`OutputSettings > FinishedEventFormat\`: attribute \`enabled="${o.finishedEventEnabled}"\`, the element's text kept.`
      : `\`OutputSettings > FinishedEventFormat\` = ${value(o.finishedEventText)} with \`enabled="${o.finishedEventEnabled}"\`: clients ask for finished events by mode header and wait for this text.`,
  );
  const byTarget = new Map<string, string[]>();
  for (const [from, to] of Object.entries(s.feedFieldRenames)) byTarget.set(to, [...(byTarget.get(to) ?? []), from]);
  for (const [to, from] of byTarget) out.push(`In the \`Feeds\` element, every ${names(from)} is replaced with ${codeSpan(to, false)}.`);
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
  const out: string[] = [];
  out.push(`# ${title}`, '');
  out.push(`These are the settings of \`kl_feed_service.conf\` for this integration (CyberTrace ${markdownText(s.versions.join(', '))}). ` +
    'Set them in CyberTrace Web, or edit the file:', '');
  out.push('- Linux: `/opt/kaspersky/ktfs/etc/kl_feed_service.conf`');
  out.push('- Windows: `%CyberTrace_installDir%\\bin\\kl_feed_service.conf`', '');
  out.push('`ctconnect cybertrace patch` applies all of them to an existing file and shows the diff. Elements not listed here keep their values.', '');

  out.push('## Elements', '');
  out.push('| Element (under `Configuration`) | Value | Note |', '|---|---|---|');
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
  valueRow('InputSettings > ConnectionString', 'ConnectionString', s.input.connectionString);
  valueRow('InputSettings > EventDelimiter', 'EventDelimiter', s.input.eventDelimiter, 'keep the existing one');
  out.push(`| \`InputSettings > RegExps > Source id="default"\` | ${s.input.regexps.length} regular expressions | see [Regular expressions](#regular-expressions) |`);
  valueRow('OutputSettings > ConnectionString', 'ConnectionString', o.connectionString);
  valueRow('OutputSettings > EventFormat', 'EventFormat', o.eventFormat);
  valueRow('OutputSettings > AlertFormat', 'AlertFormat', o.alertFormat, 'keep the existing one; without it the service sends no alerts');
  valueRow('OutputSettings > RecordFieldContextFormat', 'RecordFieldContextFormat', o.recordFieldContextFormat);
  valueRow('OutputSettings > ActionableFieldContextFormat', 'ActionableFieldContextFormat', o.actionableFieldContextFormat);
  out.push(`| \`OutputSettings > FinishedEventFormat\`, attribute \`enabled\` | ${codeSpan(String(o.finishedEventEnabled), true)} | ${o.finishedEventText === undefined ? 'keep the element text' : 'clients ask for finished events by mode header'} |`);
  if (o.finishedEventText !== undefined) valueRow('OutputSettings > FinishedEventFormat', 'FinishedEventFormat', o.finishedEventText);
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
  out.push('Children of `Configuration > InputSettings > RegExps > Source id="default"`. Each name can be used as `%NAME%` in the output formats.', '');
  out.push('| Name | Type | Extract | Purpose | Pattern |', '|---|---|---|---|---|');
  for (const r of s.input.regexps) {
    const edges = edgeWhitespaceNote(r.pattern);
    out.push(`| ${codeSpan(r.name, true)} | ${r.type} | ${r.extract} | ${markdownText(r.purpose)} | ${codeSpan(r.pattern, true)}${edges ? ` (${edges})` : ''} |`);
  }
  out.push('');
  out.push('The whole element, exact (replace the existing `Source id="default"`; other `Source` elements stay):', '');
  out.push(fenced(renderDefaultSource(s.input.regexps, '', { eol: '\n', unit: '  ' }), 'xml'), '');

  out.push('## Feed field renames', '');
  const renames = Object.entries(s.feedFieldRenames);
  if (renames.length === 0) {
    out.push('None.', '');
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
