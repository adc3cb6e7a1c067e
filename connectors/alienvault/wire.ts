/**
 * AlienVault on the wire. Forwarded: a device's raw syslog line as rsyslog's omfwd sends it to
 * CyberTrace (RSYSLOG_TraditionalForwardFormat). Returned: CyberTrace's key=value event, read the
 * way the ossim agent reads the log line rsyslog wrote — the rules of the generated plugin
 * (plugin-cfg.ts) applied in the agent's order, with its aliases and translate().
 */
import { contextPairsParser, type FieldRole, type Indicator, type ParsedEvent, type Site, type WireContract } from '../../src/connector/index.js';
import { pluginRules, translationLines, type PluginRule } from './plugin-cfg.js';
import { GENERIC_DETECTION_SID } from './translations.js';
import { cybertraceSourceIp } from './rsyslog.js';
import { RECORD_FIELD_CONTEXT_FORMAT } from './contract.js';
import { ReadError } from '../../src/kernel/errors.js';

/** The record context ` name=value name=value` read back with the parser of its own format. */
const parseRecordContext = contextPairsParser(RECORD_FIELD_CONTEXT_FORMAT);

/** The agent's aliases used by the plugin (ossim-agent aliases.cfg). */
export const AGENT_ALIASES: Record<string, string> = {
  IPV4: '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}',
  SYSLOG_DATE: '\\w{3}\\s+\\d{1,2}\\s\\d\\d:\\d\\d:\\d\\d',
};

/** A plugin regexp as a JavaScript RegExp: aliases expanded, `(?P<name>` as `(?<name>`, case-insensitive like the agent. */
export function pluginRegExp(pattern: string): RegExp {
  const expanded = pattern.replace(/\\([A-Z][A-Z0-9_]+)/g, (m, name: string) => AGENT_ALIASES[name] ?? m);
  return new RegExp(expanded.replace(/\(\?P</g, '(?<'), 'i');
}

/** Key of the forwarded line that carries each indicator type; the input regexps are universal, the keys only make the line realistic. */
const FORWARDED_PART: Record<Indicator['type'], (v: string) => string> = {
  url: (v) => `url=${/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `http://${v}`}`,
  ip: (v) => `dst=${v}`,
  md5: (v) => `file_md5=${v}`,
  sha1: (v) => `file_sha1=${v}`,
  sha256: (v) => `file_sha256=${v}`,
};

function forwardedEvent(indicator: Indicator): string {
  return `<134>Jan  1 00:00:00 fw01 ctconnect-verify: action=allowed src=10.20.30.40 ${FORWARDED_PART[indicator.type](indicator.value)}`;
}

const SYSLOG_HEAD = /^[A-Z][a-z]{2}\s+\d{1,2}\s\d\d:\d\d:\d\d\s+\S+\s/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The line rsyslog writes for an event CyberTrace sent: a line already in the log-file layout
 * is kept; otherwise a `<PRI>` is dropped and, without a timestamp, rsyslog's own header
 * (reception time, sender address) is put in front.
 */
export function logFileLine(received: string, site: Site, now = new Date()): string {
  const line = received.replace(/\r?\n$/, '').replace(/^<\d{1,3}>/, '');
  if (SYSLOG_HEAD.test(line)) return line;
  const p2 = (n: number) => String(n).padStart(2, '0');
  const date = `${MONTHS[now.getMonth()]} ${String(now.getDate()).padStart(2, ' ')} ${p2(now.getHours())}:${p2(now.getMinutes())}:${p2(now.getSeconds())}`;
  return `${date} ${cybertraceSourceIp(site) ?? site.cybertrace.address} ${line}`;
}

export interface AgentEvent {
  rule: PluginRule;
  /** Named groups of the matching regexp (unmatched groups absent). */
  groups: Record<string, string>;
  /** Event attributes after {$name} and translate() substitution, plugin_sid included. */
  attributes: Record<string, string>;
}

/** The plugin's rules applied to one log-file line as the agent does: sorted section order, precheck, search, first match wins. */
export function applyPluginRules(line: string, site: Site): AgentEvent | undefined {
  const rules = [...pluginRules()].sort((a, b) => (a.section < b.section ? -1 : a.section > b.section ? 1 : 0));
  const translation = new Map(translationLines(site).map(([k, sid]) => [k.toLowerCase(), String(sid)]));
  for (const rule of rules) {
    if (!line.includes(rule.precheck)) continue;
    const m = pluginRegExp(rule.regexp).exec(line);
    if (!m) continue;
    const groups: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.groups ?? {})) if (v !== undefined) groups[k] = v;
    const attributes: Record<string, string> = {};
    for (const [key, template] of rule.attributes) {
      attributes[key] = template.replace(/\{(translate\()?\$(\w+)\)?\}/g, (_s, tr: string | undefined, name: string) => {
        const v = groups[name] ?? '';
        if (!tr) return v;
        return translation.get(v.toLowerCase()) ?? translation.get('_default_') ?? String(GENERIC_DETECTION_SID);
      });
    }
    return { rule, groups, attributes };
  }
  return undefined;
}

function parseEvent(received: string, site: Site): ParsedEvent {
  const line = logFileLine(received, site);
  const ev = applyPluginRules(line, site);
  if (!ev) throw new ReadError(`no rule of the kaspersky_cyberTrace plugin matches ${JSON.stringify(line.slice(0, 120))}`);
  const fields: Partial<Record<FieldRole, string>> = {};
  let context: Array<[string, string]> = [];
  for (const [name, v] of Object.entries(ev.groups)) {
    if (name === 'context') context = parseRecordContext(v);
    else if (v !== '-' && v !== '') fields[name as FieldRole] = v;
  }
  return { kind: ev.rule.kind, fields, context };
}

export const alienvaultWire: WireContract = {
  forwardedEvent: (indicator) => forwardedEvent(indicator),
  parseEvent: (line, site) => parseEvent(line, site),
};
