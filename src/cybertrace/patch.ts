/**
 * Applies a connector's CyberTrace settings to an existing kl_feed_service.conf: the top-level
 * InputSettings/OutputSettings of 3.x/4.x, or one tenant (`Domains > Domain`) of 4.x/5.x.
 * The file is parsed only to learn where elements start and end; the result is the original
 * text with replacements spliced in, so comments, layout, line endings, the XML declaration
 * and every element we do not own (other tenants included) stay byte for byte as they were.
 *
 * The 5.x element paths follow Kaspersky's help for CyberTrace 5.0/5.1 (support.kaspersky.com,
 * pages 198821 Domains, 198822 Domain, 198830 InputSettings, 198889 OutputSettings, 296063
 * EventSettings, 296034 ServiceAlertsSettings). What that help does not say (the root element of
 * a 5.x file, which spelling of the FinishedEventFormat flag a real file uses) is handled in every
 * documented way, and a file that matches no documented layout is refused with the reason.
 */
import { SaxesParser } from 'saxes';
import type { CyberTraceSettings } from '../model/cybertrace.js';
import { DEFAULT_FINISHED_EVENT_TEXT, renderDefaultSource, renderRegexp, xmlContent, type XmlLayout } from './fragment.js';
import { xmlAttr } from '../render/escape.js';
import { InternalError, UserError } from '../kernel/errors.js';

/** The input cannot be patched: not well-formed, wrong root, ambiguous or unsupported layout. */
export class ConfigPatchError extends UserError {
  constructor(
    readonly reason: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(line === undefined ? reason : `${line}:${column}: ${reason}`, [], line === undefined ? {} : { position: { line, column: column ?? 1 } });
  }
}

export interface PatchResult {
  text: string;
  changed: boolean;
  changes: string[];
}

// ---- a position-aware view of the document ----

interface Attr {
  name: string;
  value: string;
  /** Offsets of the raw value, between the quotes. */
  start: number;
  end: number;
}

interface El {
  name: string;
  attrs: Attr[];
  /** Offset of '<'. */
  start: number;
  /** Offset just after the '>' of the start tag. */
  openEnd: number;
  /** Offset of '</' (= openEnd when self-closing). */
  closeStart: number;
  /** Offset just after the element. */
  end: number;
  selfClosing: boolean;
  children: El[];
  /** Text and CDATA directly inside, decoded. */
  text: string;
  /** Comments, PIs or child elements inside. */
  hasMarkup: boolean;
  /** End offset of the last child element, comment or PI. */
  lastChildEnd?: number;
}

function parseConfig(text: string): El {
  const parser = new SaxesParser({ position: true });
  const stack: El[] = [];
  let pending: El | undefined;
  let root: El | undefined;
  const fail = (reason: string): never => {
    throw new ConfigPatchError(reason, parser.line, parser.column);
  };
  parser.on('error', (err) => {
    // saxes prefixes "line:column: "; we report the position ourselves.
    fail(err.message.replace(/^\d+:\d+: /, ''));
  });
  parser.on('opentagstart', (tag) => {
    // The event fires once the name and the character after it were read.
    const start = text.lastIndexOf('<', parser.position - 1);
    pending = {
      name: tag.name,
      attrs: [],
      start,
      openEnd: -1,
      closeStart: -1,
      end: -1,
      selfClosing: false,
      children: [],
      text: '',
      hasMarkup: false,
    };
  });
  parser.on('attribute', (a) => {
    // Fires right after the closing quote; a value cannot contain its own quote character.
    const end = parser.position - 1;
    const start = text.lastIndexOf(text[end], end - 1) + 1;
    pending!.attrs.push({ name: a.name, value: a.value, start, end });
  });
  parser.on('opentag', (tag) => {
    const el = pending!;
    el.openEnd = parser.position;
    el.selfClosing = tag.isSelfClosing;
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.children.push(el);
      parent.hasMarkup = true;
    } else {
      root = el;
    }
    stack.push(el);
  });
  parser.on('closetag', () => {
    const el = stack.pop()!;
    el.end = parser.position;
    el.closeStart = el.selfClosing ? el.openEnd : text.lastIndexOf('</', parser.position - 1);
    const parent = stack[stack.length - 1];
    if (parent) parent.lastChildEnd = el.end;
  });
  const addText = (t: string): void => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  const markup = (): void => {
    const top = stack[stack.length - 1];
    if (top) {
      top.hasMarkup = true;
      top.lastChildEnd = parser.position;
    }
  };
  parser.on('comment', markup);
  parser.on('processinginstruction', markup);
  parser.write(text).close();
  if (!root) throw new ConfigPatchError('the document has no root element');
  return root;
}

/** 1-based line and column of an offset, for messages. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

// ---- edits ----

interface Edit {
  start: number;
  end: number;
  text: string;
}

function applyEdits(text: string, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) throw new InternalError(`internal: overlapping edits at offset ${e.start}`);
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}

/** Indentation of the line `pos` is on, or null when something other than blanks precedes it there. */
function indentBefore(text: string, pos: number): string | null {
  let i = pos - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  if (i >= 0 && text[i] !== '\n') return null;
  return text.slice(i + 1, pos);
}

/** One level of indentation as the file uses it: the first child indented deeper than its parent. */
function detectIndentUnit(text: string, root: El): string {
  const walk = (el: El): string | null => {
    const own = indentBefore(text, el.start);
    for (const c of el.children) {
      const ci = indentBefore(text, c.start);
      if (own !== null && ci !== null && ci.length > own.length && ci.startsWith(own)) return ci.slice(own.length);
      const deeper = walk(c);
      if (deeper) return deeper;
    }
    return null;
  };
  return walk(root) ?? '    ';
}

/** What the file should contain under one parent element. */
type Want =
  | { kind: 'text'; name: string; value: string }
  | { kind: 'enabled'; name: string; value: boolean; text?: string }
  | { kind: 'source' }
  | { kind: 'section'; name: string; children: Want[] };

class Patcher {
  readonly edits: Edit[] = [];
  readonly changes: string[] = [];
  readonly eol: string;
  readonly unit: string;

  constructor(
    readonly text: string,
    root: El,
    readonly s: CyberTraceSettings,
  ) {
    this.eol = text.includes('\r\n') ? '\r\n' : '\n';
    this.unit = detectIndentUnit(text, root);
  }

  private layout(): XmlLayout {
    return { eol: this.eol, unit: this.unit };
  }

  /** The one child matching; two are ambiguous (which one the service reads is not documented), so refuse. */
  private findChild(parent: El, name: string, path: string, match: (e: El) => boolean = () => true): El | undefined {
    const found = parent.children.filter((c) => c.name === name && match(c));
    if (found.length > 1) {
      const where = found.map((f) => lineColumn(this.text, f.start));
      const lines = where.map((w) => w.line).join(' and ');
      throw new ConfigPatchError(`${path} appears ${found.length} times (lines ${lines}); keep one and try again`, where[1].line, where[1].column);
    }
    return found[0];
  }

  reconcile(parent: El, wants: Want[], path: string): void {
    const missing: Want[] = [];
    for (const w of wants) {
      const name = w.kind === 'source' ? 'Source' : w.name;
      const childPath = w.kind === 'source' ? `${path}/Source[id=default]` : `${path}/${name}`;
      const el =
        w.kind === 'source' ? this.findChild(parent, 'Source', childPath, (e) => attr(e, 'id')?.value === 'default') : this.findChild(parent, name, childPath);
      if (!el) {
        missing.push(w);
        this.changes.push(`${childPath}: created`);
        continue;
      }
      switch (w.kind) {
        case 'text':
          this.setText(el, w.value, childPath);
          break;
        case 'enabled':
          if (w.text !== undefined && el.selfClosing) {
            this.setEnabledAndText(el, w.value, w.text, childPath);
            break;
          }
          for (const flag of flagNames(el)) this.setAttr(el, flag, String(w.value), childPath);
          if (w.text !== undefined) this.setText(el, w.text, childPath);
          break;
        case 'source':
          this.setSource(el, childPath);
          break;
        case 'section':
          this.reconcile(el, w.children, childPath);
          break;
      }
    }
    if (missing.length) this.appendChildren(parent, missing);
  }

  private setText(el: El, value: string, path: string): void {
    if (!el.hasMarkup && el.text === value) return;
    const content = xmlContent(value);
    if (el.selfClosing) {
      this.edits.push({ start: el.start, end: el.end, text: `${this.openTag(el)}${content}</${el.name}>` });
    } else {
      this.edits.push({ start: el.openEnd, end: el.closeStart, text: content });
    }
    this.changes.push(`${path}: replaced`);
  }

  /** The start tag of a self-closing element, rewritten as an opening tag with its attributes as they were. */
  private openTag(el: El): string {
    const raw = this.text.slice(el.start, el.openEnd);
    return raw.replace(/\s*\/>$/, '>');
  }

  private setAttr(el: El, name: string, value: string, path: string): void {
    const a = attr(el, name);
    if (a && a.value === value) return;
    if (a) {
      this.edits.push({ start: a.start, end: a.end, text: xmlAttr(value) });
    } else {
      const at = el.start + 1 + el.name.length;
      this.edits.push({ start: at, end: at, text: ` ${name}="${xmlAttr(value)}"` });
    }
    this.changes.push(`${path}: ${name} set to ${value}`);
  }

  /** A self-closing element that gets text: one edit for the attribute and the text (two would overlap). */
  private setEnabledAndText(el: El, enabled: boolean, text: string, path: string): void {
    let open = this.openTag(el);
    const flags = flagNames(el);
    // Later attributes first, so earlier offsets stay valid.
    const present = flags
      .map((f) => attr(el, f))
      .filter((a): a is Attr => a !== undefined)
      .sort((a, b) => b.start - a.start);
    for (const a of present) open = open.slice(0, a.start - el.start) + xmlAttr(String(enabled)) + open.slice(a.end - el.start);
    if (present.length === 0) open = `<${el.name} enabled="${enabled}"${open.slice(1 + el.name.length)}`;
    this.edits.push({ start: el.start, end: el.end, text: `${open}${xmlContent(text)}</${el.name}>` });
    this.changes.push(`${path}: ${flags.join(' and ')} set to ${enabled}, text replaced`);
  }

  private setSource(el: El, path: string): void {
    const want = this.s.input.regexps;
    // A child without a type attribute is not a regexp: a normalizing rule entered in CyberTrace
    // Web (some integrations need one). It is kept, in front of the regexps, as it is written.
    const regexps = el.children.filter((c) => attr(c, 'type') !== undefined);
    const kept = el.children.filter((c) => attr(c, 'type') === undefined).map((c) => this.text.slice(c.start, c.end));
    const same =
      regexps.length === el.children.length - kept.length &&
      el.children.slice(0, kept.length).every((c) => attr(c, 'type') === undefined) &&
      regexps.length === want.length &&
      regexps.every((c, i) => {
        const r = want[i];
        return (
          c.name === r.name &&
          !c.hasMarkup &&
          c.text === r.pattern &&
          c.attrs.length === 2 &&
          attr(c, 'type')?.value === r.type &&
          attr(c, 'extract')?.value === r.extract
        );
      });
    if (same) return;
    const indent = indentBefore(this.text, el.start);
    const firstChild = el.children[0];
    const childIndent = firstChild ? indentBefore(this.text, firstChild.start) : null;
    let rendered: string;
    if (indent === null) {
      rendered = renderDefaultSource(want, '', null, kept);
    } else {
      // Keep the children's own indentation when the file has one that is deeper than the Source.
      const unit = childIndent !== null && childIndent.length > indent.length && childIndent.startsWith(indent) ? childIndent.slice(indent.length) : this.unit;
      rendered = renderDefaultSource(want, indent, { eol: this.eol, unit }, kept);
    }
    this.edits.push({ start: el.start, end: el.end, text: rendered });
    this.changes.push(
      `${path}: replaced (${want.length} regexps: ${want.map((r) => r.name).join(', ')}${kept.length ? `; ${kept.length} other element${kept.length > 1 ? 's' : ''} kept` : ''})`,
    );
  }

  /** New elements go after the parent's last child, on their own lines, indented like their siblings. */
  private appendChildren(parent: El, wants: Want[]): void {
    const parentIndent = indentBefore(this.text, parent.start);
    const sibling = parent.children.find((c) => indentBefore(this.text, c.start) !== null);
    const childIndent = sibling ? indentBefore(this.text, sibling.start)! : parentIndent === null ? null : parentIndent + this.unit;
    const eol = this.eol;
    const items = wants.map((w) => this.render(w, childIndent ?? ''));
    if (childIndent === null) {
      // The parent shares its line with other markup: stay on one line too.
      const joined = items.join('');
      if (parent.selfClosing) this.edits.push({ start: parent.start, end: parent.end, text: `${this.openTag(parent)}${joined}</${parent.name}>` });
      else this.edits.push({ start: parent.lastChildEnd ?? parent.closeStart, end: parent.lastChildEnd ?? parent.closeStart, text: joined });
      return;
    }
    const block = items.map((i) => `${childIndent}${i}`).join(eol);
    const closeIndent = parentIndent ?? '';
    if (parent.selfClosing) {
      this.edits.push({ start: parent.start, end: parent.end, text: `${this.openTag(parent)}${eol}${block}${eol}${closeIndent}</${parent.name}>` });
    } else if (parent.lastChildEnd !== undefined) {
      this.edits.push({ start: parent.lastChildEnd, end: parent.lastChildEnd, text: `${eol}${block}` });
    } else if (/^\s*$/.test(this.text.slice(parent.openEnd, parent.closeStart))) {
      this.edits.push({ start: parent.openEnd, end: parent.closeStart, text: `${eol}${block}${eol}${closeIndent}` });
    } else {
      this.edits.push({ start: parent.closeStart, end: parent.closeStart, text: `${eol}${block}${eol}${closeIndent}` });
    }
  }

  /** A new element, whose first line the caller indents with `indent`. */
  private render(w: Want, indent: string): string {
    const layout = this.layout();
    switch (w.kind) {
      case 'text':
        return `<${w.name}>${xmlContent(w.value)}</${w.name}>`;
      case 'enabled':
        return `<${w.name} enabled="${w.value}">${xmlContent(w.text ?? DEFAULT_FINISHED_EVENT_TEXT)}</${w.name}>`;
      case 'source':
        return renderDefaultSource(this.s.input.regexps, indent, layout);
      case 'section': {
        const inner = indent + this.unit;
        const kids = w.children.map((c) => `${inner}${this.render(c, inner)}`).join(layout.eol);
        return `<${w.name}>${layout.eol}${kids}${layout.eol}${indent}</${w.name}>`;
      }
    }
  }

  /** `shared`: the Feeds serve other tenants too, so nothing is renamed; what would be is said. */
  renameFeedFields(root: El, shared = false): void {
    const renames = new Map(Object.entries(this.s.feedFieldRenames));
    if (renames.size === 0) return;
    const feeds = root.children.filter((c) => c.name === 'Feeds');
    if (feeds.length === 0) {
      if (!shared) this.changes.push('Feeds: no Feeds element, nothing to rename');
      return;
    }
    const counts = new Map<string, number>();
    const visit = (el: El): void => {
      const a = attr(el, 'input_regexp_to_match');
      const to = a && renames.get(a.value);
      if (a && to !== undefined && to !== a.value) {
        if (!shared) this.edits.push({ start: a.start, end: a.end, text: xmlAttr(to) });
        const key = `${a.value}→${to}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      el.children.forEach(visit);
    };
    feeds.forEach((f) => f.children.forEach(visit));
    for (const [key, n] of counts) {
      this.changes.push(
        shared
          ? `Feeds: ${n} input_regexp_to_match ${key} NOT renamed: the top-level Feeds serve every tenant; rename them by hand only if no other tenant uses ${key.split('→')[0]}`
          : `Feeds: ${n} input_regexp_to_match renamed ${key}`,
      );
    }
  }
}

// ---- which SIEM the file serves ----

/** `<!-- ctconnect: serves siem="…" site="…" … -->`, written once right inside <Configuration>. */
const SERVES_MARK = /<!-- ctconnect: serves siem="([^"]*)" site="([^"]*)"[^]*?-->/;

/** The first serves record between `from` and `to`, outside the `skip` ranges (other tenants' Domains). */
function findServes(text: string, from = 0, to = text.length, skip: Array<[number, number]> = []): RegExpExecArray | undefined {
  const re = new RegExp(SERVES_MARK.source, 'g');
  re.lastIndex = from;
  for (let m = re.exec(text); m && m.index < to; m = re.exec(text)) {
    if (!skip.some(([a, b]) => m.index >= a && m.index < b)) return m;
  }
  return undefined;
}

/** What kl_feed_service.conf says it serves, if ctconnect patched it before (the first record in the file). */
export function servesRecord(text: string): { siem: string; site: string; line: number; column: number } | undefined {
  const m = findServes(text);
  return m ? { siem: m[1], site: m[2], ...lineColumn(text, m.index) } : undefined;
}

function servesComment(serves: { siem: string; site: string }): string {
  // "--" cannot occur inside an XML comment; names here are letters, digits, " _.-".
  const clean = (v: string) => v.replace(/-{2,}/g, '-').replace(/"/g, '');
  return `<!-- ctconnect: serves siem="${clean(serves.siem)}" site="${clean(serves.site)}" (one OutputSettings serves one SIEM: ctconnect switches it to another SIEM only when told to) -->`;
}

/** The element whose settings are patched, and the other tenants' ranges inside it (not its own). */
interface Scope {
  el: El;
  /** Path prefix of change messages. */
  path: string;
  skip: Array<[number, number]>;
}

/**
 * Records which SIEM and site the file now serves, and refuses to switch it from another SIEM
 * unless asked: a 3.x/4.x CyberTrace has one OutputSettings, so the other SIEM's detections would stop.
 */
function recordServes(text: string, scope: Scope, serves: NonNullable<CyberTraceSettings['serves']>, p: Patcher): void {
  const root = scope.el;
  const m = findServes(text, root.openEnd, root.closeStart, scope.skip);
  const old = m ? { siem: m[1], site: m[2], ...lineColumn(text, m.index) } : undefined;
  const what = scope.path === 'Configuration' ? 'this CyberTrace' : `the tenant ${JSON.stringify(attr(root, 'name')?.value ?? '')} of this CyberTrace`;
  if (old && old.siem !== serves.siem && !serves.allowSwitch) {
    throw new ConfigPatchError(
      `${what} serves ${old.siem} (site "${old.site}", recorded here by ctconnect); patching it for ${serves.siem} would replace ${old.siem}'s OutputSettings and ${old.siem}'s detections would stop. ` +
        `To switch this CyberTrace from ${old.siem} to ${serves.siem} on purpose, run again with --switch-siem`,
      old.line,
      old.column,
    );
  }
  const comment = servesComment(serves);
  if (m) {
    if (m[0] === comment) return;
    p.edits.push({ start: m.index, end: m.index + m[0].length, text: comment });
  } else {
    const child = root.children[0];
    const indent = child ? indentBefore(text, child.start) : null;
    p.edits.push({ start: root.openEnd, end: root.openEnd, text: indent === null ? comment : `${p.eol}${indent}${comment}` });
  }
  p.changes.push(`recorded: serves ${serves.siem} of site "${serves.site}"${old && old.siem !== serves.siem ? ` (switched from ${old.siem})` : ''}`);
}

function attr(el: El, name: string): Attr | undefined {
  return el.attrs.find((a) => a.name === name);
}

/**
 * The attribute(s) that switch FinishedEventFormat (or AlertConnectionString) on: the 5.0
 * reference example writes `enabled`, the ReplyBack page writes `enable` (help 5.0, pages 296063
 * and 180189). Whichever the file has is set (both when it has both), `enabled` when it has none.
 */
function flagNames(el: El): string[] {
  const names = ['enabled', 'enable'].filter((n) => attr(el, n) !== undefined);
  return names.length ? names : ['enabled'];
}

/** The documented layouts of kl_feed_service.conf a file can have. */
type Layout =
  /** 3.x/4.x: top-level InputSettings/OutputSettings (the General tenant), maybe `Domains` for other 4.x tenants. */
  | { kind: 'top'; at: El }
  /** 5.x: every tenant, General included, is a `Domains > Domain` (help 5.x, page 198821). */
  | { kind: 'domains'; domains: El }
  /** Neither yet: a bare <Configuration>, patched as 3.x/4.x (the elements are created). */
  | { kind: 'empty' };

/** Elements that exist only in the 5.x layout (help 5.x: pages 295994, 296031). */
const ONLY_5X = ['NotificationSettings', 'LookupSettings'];

function single(root: El, name: string, text: string): El | undefined {
  const found = root.children.filter((c) => c.name === name);
  if (found.length > 1) {
    const at = lineColumn(text, found[1].start);
    throw new ConfigPatchError(
      `<${name}> appears ${found.length} times at the top level; which one CyberTrace reads is not documented: keep one`,
      at.line,
      at.column,
    );
  }
  return found[0];
}

function layoutOf(text: string, root: El): Layout {
  const top = root.children.find((c) => c.name === 'InputSettings' || c.name === 'OutputSettings');
  const domains = single(root, 'Domains', text);
  const five = root.children.find((c) => ONLY_5X.includes(c.name));
  const here = (el: El) => {
    const at = lineColumn(text, el.start);
    return { ...at, text: `line ${at.line}` };
  };
  if (top) {
    if (five) {
      const a = here(top);
      const b = here(five);
      throw new ConfigPatchError(
        `this file has top-level <${top.name}> (${a.text}; the 3.x/4.x layout) and <${five.name}> (${b.text}; only in 5.x, where the tenants' settings are in Domains > Domain): ` +
          'it matches no documented layout of kl_feed_service.conf, so it is not patched. Check that it is the file CyberTrace reads',
        b.line,
        b.column,
      );
    }
    if (root.name !== 'Configuration') {
      const at = lineColumn(text, root.start);
      throw new ConfigPatchError(`the root element is <${root.name}>, expected <Configuration> (kl_feed_service.conf)`, at.line, at.column);
    }
    return { kind: 'top', at: top };
  }
  if (domains) {
    const general = domains.children.find((d) => d.name === 'Domain' && attr(d, 'name')?.value === 'General');
    if (!general) {
      const at = lineColumn(text, domains.start);
      throw new ConfigPatchError(
        'this file has <Domains> but no top-level InputSettings/OutputSettings (as 3.x/4.x have) and no Domain named "General" (as every 5.x file has: ' +
          'the General tenant cannot be renamed): it matches no documented layout of kl_feed_service.conf, so it is not patched',
        at.line,
        at.column,
      );
    }
    return { kind: 'domains', domains };
  }
  if (five) {
    const at = lineColumn(text, five.start);
    throw new ConfigPatchError(
      `this file has <${five.name}> (5.x only) but no <Domains> with the tenants: it matches no documented layout of kl_feed_service.conf, so it is not patched`,
      at.line,
      at.column,
    );
  }
  if (root.name !== 'Configuration') {
    const at = lineColumn(text, root.start);
    throw new ConfigPatchError(`the root element is <${root.name}>, expected <Configuration> (kl_feed_service.conf)`, at.line, at.column);
  }
  return { kind: 'empty' };
}

/** The tenant's `Domain`, or a refusal naming the tenants the file has (tenants are created in CyberTrace Web, never here). */
function findTenant(text: string, root: El, domains: El | undefined, tenant: string, version: string): El {
  const all = domains?.children.filter((d) => d.name === 'Domain') ?? [];
  const found = all.filter((d) => attr(d, 'name')?.value === tenant);
  if (found.length > 1) {
    const at = lineColumn(text, found[1].start);
    throw new ConfigPatchError(
      `the tenant "${tenant}" appears ${found.length} times in <Domains>; which one CyberTrace reads is not documented: keep one`,
      at.line,
      at.column,
    );
  }
  if (found[0]) return found[0];
  const names = all.map((d) => JSON.stringify(attr(d, 'name')?.value ?? '(no name)'));
  if (version !== '5.x' && !names.includes('"General"')) names.unshift('"General" (the top-level settings)');
  const at = lineColumn(text, (domains ?? root).start);
  throw new ConfigPatchError(
    `this file has no tenant "${tenant}" (tenants: ${names.join(', ') || 'none'}). ` +
      'Create the tenant in CyberTrace Web (which gives it its identifier) and run again, or correct the tenant name in the site file',
    at.line,
    at.column,
  );
}

/** What to set in one tenant's (or the top level's) InputSettings and OutputSettings. */
function tenantWants(s: CyberTraceSettings, layout5: boolean, withAlertFormat: boolean): Want[] {
  const input: Want[] = [{ kind: 'text', name: 'ConnectionString', value: s.input.connectionString }];
  if (s.input.eventDelimiter !== undefined) input.push({ kind: 'text', name: 'EventDelimiter', value: s.input.eventDelimiter });
  input.push({ kind: 'section', name: 'RegExps', children: [{ kind: 'source' }] });
  const o = s.output;
  const finished: Want = {
    kind: 'enabled',
    name: 'FinishedEventFormat',
    value: o.finishedEventEnabled,
    ...(o.finishedEventText !== undefined ? { text: o.finishedEventText } : {}),
  };
  let output: Want[];
  if (layout5) {
    // 5.x: the detection formats moved into OutputSettings > EventSettings (help 5.x, pages 198889, 296063).
    output = [
      { kind: 'text', name: 'ConnectionString', value: o.connectionString },
      {
        kind: 'section',
        name: 'EventSettings',
        children: [
          { kind: 'text', name: 'EventFormat', value: o.eventFormat },
          { kind: 'text', name: 'ActionableFieldContextFormat', value: o.actionableFieldContextFormat },
          finished,
        ],
      },
      { kind: 'text', name: 'RecordFieldContextFormat', value: o.recordFieldContextFormat },
    ];
  } else {
    output = [
      { kind: 'text', name: 'ConnectionString', value: o.connectionString },
      { kind: 'text', name: 'EventFormat', value: o.eventFormat },
    ];
    if (withAlertFormat && o.alertFormat !== undefined) output.push({ kind: 'text', name: 'AlertFormat', value: o.alertFormat });
    output.push(
      { kind: 'text', name: 'RecordFieldContextFormat', value: o.recordFieldContextFormat },
      { kind: 'text', name: 'ActionableFieldContextFormat', value: o.actionableFieldContextFormat },
      finished,
    );
  }
  return [
    { kind: 'section', name: 'InputSettings', children: input },
    { kind: 'section', name: 'OutputSettings', children: output },
  ];
}

/**
 * Applies `s` to the text of a kl_feed_service.conf. Throws ConfigPatchError (with line and
 * column) when the text is not well-formed XML, matches no documented layout, is of the other
 * version than the site states, lacks the tenant, or an element we set appears twice.
 * Applying the result again changes nothing.
 */
export function patchFeedServiceConfig(originalXml: string, s: CyberTraceSettings): PatchResult {
  const root = parseConfig(originalXml);
  const target = s.target ?? { version: '4.x', serviceAlerts: true, sitePath: 'cybertrace' };
  const layout = layoutOf(originalXml, root);
  const where = (el: El) => lineColumn(originalXml, el.start);
  if (target.version === '5.x' && layout.kind !== 'domains') {
    const at = layout.kind === 'top' ? where(layout.at) : where(root);
    throw new ConfigPatchError(
      layout.kind === 'top'
        ? `this is a CyberTrace 3.x/4.x file (top-level <${layout.at.name}>), but the site says version "5.x" for ${target.sitePath}: ` +
            `set ${target.sitePath}.version: "4.x" in the site file (tenants: only for the Domains this file has), or give the 5.x file`
        : `this file has no <Domains> (in 5.x every tenant, General included, is a Domain), but the site says version "5.x" for ${target.sitePath}: ` +
            `give the kl_feed_service.conf of the 5.x CyberTrace, or set ${target.sitePath}.version to the version this file is from`,
      at.line,
      at.column,
    );
  }
  if (target.version !== '5.x' && layout.kind === 'domains') {
    const at = where(layout.domains);
    throw new ConfigPatchError(
      `this is a CyberTrace 5.x file (every tenant, General included, is a Domain in <Domains>; no top-level InputSettings), but the site says version "${target.version}" for ${target.sitePath}: ` +
        `set ${target.sitePath}.version: "5.x" in the site file (the SIEM then goes to the General tenant unless ${target.sitePath}.tenants says otherwise)`,
      at.line,
      at.column,
    );
  }
  // Fail on bad settings before touching anything (names, characters XML cannot hold).
  s.input.regexps.forEach(renderRegexp);
  for (const [from, to] of Object.entries(s.feedFieldRenames)) {
    // A chain (A→B, B→C) would rename again on every run; the settings must say A→C.
    if (to !== from && Object.hasOwn(s.feedFieldRenames, to) && s.feedFieldRenames[to] !== to) {
      throw new InternalError(`feed field renames chain ${from}→${to}→${s.feedFieldRenames[to]}; rename ${from} to the final name directly`);
    }
  }

  const five = target.version === '5.x';
  const domains = layout.kind === 'domains' ? layout.domains : single(root, 'Domains', originalXml);
  const tenantEl = target.tenant !== undefined ? findTenant(originalXml, root, domains, target.tenant, target.version) : undefined;
  const scope: Scope = tenantEl
    ? { el: tenantEl, path: `Domains/Domain[@name=${target.tenant}]`, skip: [] }
    : { el: root, path: 'Configuration', skip: domains ? [[domains.start, domains.end]] : [] };

  const p = new Patcher(originalXml, root, s);
  // 4.x tenants' OutputSettings cannot hold AlertFormat (help 4.4, page 198822): only the top level gets it.
  p.reconcile(scope.el, tenantWants(s, five, !tenantEl), scope.path);
  const o = s.output;
  if (five && target.serviceAlerts && o.alertFormat !== undefined) {
    // 5.x service alerts are global (help 5.x, pages 296031, 296034): where they go, their format
    // and how their context is written (as the detections' context, which the SIEM side parses).
    p.reconcile(
      root,
      [
        {
          kind: 'section',
          name: 'NotificationSettings',
          children: [
            {
              kind: 'section',
              name: 'ServiceAlertsSettings',
              children: [
                { kind: 'enabled', name: 'AlertConnectionString', value: true, text: o.connectionString },
                { kind: 'text', name: 'AlertFormat', value: o.alertFormat },
                { kind: 'text', name: 'ContextFormat', value: o.recordFieldContextFormat },
              ],
            },
          ],
        },
      ],
      'Configuration',
    );
  } else if (five && o.alertFormat !== undefined) {
    p.changes.push('NotificationSettings/ServiceAlertsSettings: kept as it is (service alerts are global in 5.x and go to another SIEM of this CyberTrace)');
  } else if (o.alertFormat === undefined || tenantEl) {
    const out = scope.el.children.find((c) => c.name === 'OutputSettings');
    if (out?.children.some((c) => c.name === 'AlertFormat')) {
      p.changes.push(
        `${scope.path}/OutputSettings/AlertFormat: kept as it is (${tenantEl ? 'service alerts are not sent per tenant' : 'this integration sets no AlertFormat'})`,
      );
    }
  }
  // Top-level Feeds serve every tenant: with tenants, renaming them for one SIEM would break the others.
  p.renameFeedFields(root, five || tenantEl !== undefined);
  if (s.serves) recordServes(originalXml, scope, s.serves, p);

  const text = applyEdits(originalXml, p.edits);
  // The splice must never produce a file the service cannot read.
  try {
    parseConfig(text);
  } catch (e) {
    throw new InternalError(`internal: the patched file is not well-formed (${(e as Error).message})`);
  }
  const changes = p.changes.map((c) => c.replace(/^Configuration\//, ''));
  return { text, changed: text !== originalXml, changes };
}

/** Text encodings a kl_feed_service.conf may declare that Node can write back unchanged. */
export type ConfigEncoding = 'utf8' | 'latin1' | 'ascii';

/**
 * Decodes the bytes of a config file as its XML declaration says (UTF-8 when it says nothing),
 * keeping a byte-order mark in the text so that writing it back gives the same bytes.
 */
export function decodeConfigBytes(bytes: Uint8Array): { text: string; encoding: ConfigEncoding } {
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) {
    throw new ConfigPatchError('the file is UTF-16; only UTF-8, US-ASCII and ISO-8859-1 files are supported');
  }
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  const declared = /^(?:\uFEFF|\u00EF\u00BB\u00BF)?<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1]?.toLowerCase();
  let encoding: ConfigEncoding;
  if (declared === undefined || declared === 'utf-8' || declared === 'utf8') encoding = 'utf8';
  else if (declared === 'iso-8859-1' || declared === 'latin1' || declared === 'iso_8859-1') encoding = 'latin1';
  else if (declared === 'us-ascii' || declared === 'ascii') encoding = 'ascii';
  else throw new ConfigPatchError(`the file declares encoding "${declared}"; only UTF-8, US-ASCII and ISO-8859-1 are supported`, 1, 1);
  if (encoding === 'utf8') {
    try {
      return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes), encoding };
    } catch {
      throw new ConfigPatchError('the file is not valid UTF-8');
    }
  }
  const text = Buffer.from(bytes).toString('latin1');
  if (encoding === 'ascii' && /[^\u0000-\u007f]/.test(text)) throw new ConfigPatchError('the file declares US-ASCII but holds other bytes');
  return { text, encoding };
}

/** Encodes text for a file of the given encoding; refuses characters it cannot hold rather than writing "?". */
export function encodeConfigText(text: string, encoding: ConfigEncoding): Buffer {
  const limit = encoding === 'latin1' ? 0xff : encoding === 'ascii' ? 0x7f : Infinity;
  if (limit !== Infinity) {
    for (const ch of text) {
      if (ch.codePointAt(0)! > limit) {
        throw new ConfigPatchError(`character ${JSON.stringify(ch)} cannot be written in a ${encoding === 'latin1' ? 'ISO-8859-1' : 'US-ASCII'} file`);
      }
    }
    return Buffer.from(text, 'latin1');
  }
  return Buffer.from(text, 'utf8');
}
