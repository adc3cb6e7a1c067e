/**
 * kaspersky_cyberTrace.cfg, the ossim-agent plugin. Its rule regexps are built from the same
 * EventContract lists as the CyberTrace EventFormat / AlertFormat (contract.ts), its
 * [translation] section from the category → SID table (translations.ts). Every value goes
 * through the ini escapers, and the finished text is checked once more against the pitfalls of
 * the agent's ConfigParser (the AlienVault ossim-agent source) before it is returned.
 */
import { EscapeError, type EventContract, type FieldRole, iniKey, iniValue, type Site } from '../../src/connector/index.js';
import { InternalError, UserError } from '../../src/kernel/errors.js';
import { alertEvent, ALERT_USERDATA, detectionEvent, DETECTION_USERDATA } from './contract.js';
import { alienvaultOptions } from './options.js';
import { DEFAULT_TRANSLATION_KEY, DEFAULT_TRANSLATION_WHY, PLUGIN_ID, SERVICE_EVENT_SID, sidTable, tableSids, type SidTable } from './translations.js';

export const PLUGIN_FILE = 'kaspersky_cyberTrace.cfg';

/** One rule section of the plugin. */
export interface PluginRule {
  /** Section name; rules are tried in sorted section-name order and the first match wins. */
  section: string;
  kind: 'alert' | 'detection';
  /** Plain substring the agent tests before the regexp. */
  precheck: string;
  /** Python regexp with agent aliases (\SYSLOG_DATE, \IPV4) and named groups = field roles. */
  regexp: string;
  /** Event attributes in file order. */
  attributes: Array<[string, string]>;
}

/**
 * The line rsyslog writes to the log file starts with `Mmm dd hh:mm:ss host ` (the inbound rule
 * pins RSYSLOG_TraditionalFileFormat). What follows depends on what CyberTrace sent, so both are
 * optional before the event: a syslog tag (`kl_feed_service:`, `kl_feed_service[42]:`, or an
 * RFC 5424 app name, which rsyslog writes without a colon), and a `<PRI>` that rsyslog could not
 * parse and kept (`<134><134>…`, ` <134>…`). Neither can hold `=`, so neither eats the event's
 * first key. rsyslog writes a CR that CyberTrace sends as `#015` (the Kaspersky CyberTrace–AlienVault integration guide raw log); it is
 * kept out of the last field.
 */
const LINE_HEAD = '^(?P<date>\\SYSLOG_DATE)\\s+\\S+\\s+(?:[^\\s=]+\\s+)?(?:<\\d+>)?';
const LINE_TAIL = '(?:#015)?$';

/** The regexp reading one event of `contract`; `patterns` overrides the value pattern per role. */
export function contractRegexp(contract: EventContract, patterns: Partial<Record<FieldRole, string>> = {}): string {
  const parts = contract.parts.map((p, i) => {
    if (p.kind !== 'field') throw new InternalError('the AlienVault events only have key=value fields');
    const last = i === contract.parts.length - 1;
    // Lazy `.*?` up to the next ` key=`: values (URLs, the context) may hold anything but that.
    const value = patterns[p.role] ?? '.*?';
    // The context starts with the blank of RecordFieldContextFormat; userdata shows it without.
    const lead = last ? '\\s*' : '';
    return `${p.key}${contract.keySeparator}${lead}(?P<${p.role}>${value})`;
  });
  // `\s+` between parts: no literal space in the value, and rsyslog's spacing is not our contract.
  return LINE_HEAD + parts.join('\\s+') + LINE_TAIL;
}

function userdataAttributes(map: ReadonlyArray<{ userdata: string; role: FieldRole }>): Array<[string, string]> {
  return map.map(({ userdata, role }) => [userdata, `{$${role}}`]);
}

/** The rule sections, in the order the agent tries them. */
export function pluginRules(): PluginRule[] {
  const alertKey = alertEvent.parts[0].kind === 'field' ? alertEvent.parts[0].key : 'alert';
  const detectedKey = detectionEvent.parts.find((p) => p.kind === 'field' && p.role === 'indicator') as { key: string };
  const common = (kind: 'alert' | 'detection'): Array<[string, string]> => [
    ['event_type', 'event'],
    ['date', '{normalize_date($date)}'],
    ['plugin_sid', kind === 'alert' ? String(SERVICE_EVENT_SID) : '{translate($category)}'],
  ];
  return [
    {
      section: '0001 - Kaspersky CyberTrace service event',
      kind: 'alert',
      precheck: `${alertKey}=`,
      regexp: contractRegexp(alertEvent),
      attributes: [...common('alert'), ...userdataAttributes(ALERT_USERDATA)],
    },
    {
      // Before the generic detection rule: only events whose src= holds an IPv4 address set src_ip.
      section: '0002 - Kaspersky CyberTrace detection event with source address',
      kind: 'detection',
      precheck: `${detectedKey.key}=`,
      regexp: contractRegexp(detectionEvent, { src_ip: '\\IPV4' }),
      attributes: [...common('detection'), ['src_ip', '{$src_ip}'], ...userdataAttributes(DETECTION_USERDATA)],
    },
    {
      section: '0003 - Kaspersky CyberTrace detection event',
      kind: 'detection',
      precheck: `${detectedKey.key}=`,
      regexp: contractRegexp(detectionEvent),
      attributes: [...common('detection'), ...userdataAttributes(DETECTION_USERDATA)],
    },
  ];
}

/** Translation lines `category=sid`, `_DEFAULT_` first. Throws UserError for a category that is no safe ini key. */
export function translationLines(site: Site): Array<[string, number]> {
  const table = sidTable(site);
  const seen = new Map<string, string>();
  const lines: Array<[string, number]> = [[DEFAULT_TRANSLATION_KEY, table.generic.sid]];
  for (const r of table.categories) {
    try {
      iniKey(r.category);
    } catch (e) {
      if (e instanceof EscapeError) {
        throw new UserError(`${site.source}: category ${JSON.stringify(r.category)} cannot be a key of the plugin's [translation] section: ${e.message}`);
      }
      throw e;
    }
    // ConfigParser lowercases keys: two categories differing only in case would share one SID.
    const key = r.category.toLowerCase();
    const other = seen.get(key);
    if (other !== undefined)
      throw new UserError(`${site.source}: categories "${other}" and "${r.category}" differ only in case; the agent reads them as one [translation] key`);
    if (key === DEFAULT_TRANSLATION_KEY.toLowerCase()) {
      throw new UserError(
        `${site.source}: a category cannot be named ${DEFAULT_TRANSLATION_KEY}: it would replace the fallback of the [translation] section, and ${DEFAULT_TRANSLATION_WHY}`,
      );
    }
    seen.set(key, r.category);
    lines.push([r.category, r.sid]);
  }
  const problem = missingDefaultProblem(lines, table);
  if (problem) throw new UserError(`${site.source}: ${problem}`);
  return lines;
}

/**
 * Why a [translation] section cannot be used, or undefined: it must map _DEFAULT_ (once) to a
 * SID the plugin_sid rows name. Checked on every table the generator or an edit produces.
 */
export function missingDefaultProblem(lines: ReadonlyArray<readonly [string, number]>, table: SidTable): string | undefined {
  const defaults = lines.filter(([k]) => k.toLowerCase() === DEFAULT_TRANSLATION_KEY.toLowerCase());
  if (defaults.length === 0) return `the [translation] section would have no ${DEFAULT_TRANSLATION_KEY} line; ${DEFAULT_TRANSLATION_WHY}`;
  if (defaults.length > 1) return `the [translation] section would have ${defaults.length} ${DEFAULT_TRANSLATION_KEY} lines`;
  const sid = defaults[0][1];
  if (!tableSids(table).has(sid))
    return `${DEFAULT_TRANSLATION_KEY} would map to SID ${sid}, which has no plugin_sid row (ossim-server drops events with an unknown SID)`;
  return undefined;
}

function value(v: string, where: string): string {
  try {
    return iniValue(v);
  } catch (e) {
    if (e instanceof EscapeError) throw new UserError(`${where}: ${e.message}`);
    throw e;
  }
}

/** The whole kaspersky_cyberTrace.cfg. */
export function pluginCfg(site: Site): string {
  const o = alienvaultOptions(site);
  const out: string[] = [
    '# Kaspersky CyberTrace plugin for the AlienVault USM / OSSIM agent.',
    `# Site: ${site.name}. Generated by ctconnect; change categories and SIDs with \`ctconnect categories\``,
    '# and regenerate, so that this file and kaspersky_cyberTrace.sql keep the same SIDs.',
    '# Local changes that must survive an update belong in kaspersky_cyberTrace.cfg.local.',
    '',
    '[DEFAULT]',
    `plugin_id=${PLUGIN_ID}`,
    '',
    '[config]',
    'type=detector',
    'enable=yes',
    'source=log',
    `location=${value(o.log_file, 'siems.alienvault.log_file')}`,
    'create_file=true',
    'process=',
    'start=no',
    'stop=no',
    'startup=',
    'shutdown=',
    '',
    '# Feed category (userdata1) -> SID of plugin_sid; a category not listed gets _DEFAULT_ (generic detection event).',
    '[translation]',
    ...translationLines(site).map(([k, sid]) => `${k}=${sid}`),
  ];
  for (const r of pluginRules()) {
    out.push('', `[${r.section}]`);
    out.push(`event_type=${r.attributes.find(([k]) => k === 'event_type')![1]}`);
    out.push(`precheck=${value(r.precheck, `rule ${r.section} precheck`)}`);
    out.push(`regexp=${value(r.regexp, `rule ${r.section} regexp`)}`);
    for (const [k, v] of r.attributes) if (k !== 'event_type') out.push(`${iniKey(k)}=${value(v, `rule ${r.section} ${k}`)}`);
  }
  const text = out.join('\n') + '\n';
  const problems = pluginCfgProblems(text);
  if (problems.length > 0) throw new InternalError(`generated ${PLUGIN_FILE} would be misread by the agent:\n${problems.join('\n')}`);
  return text;
}

/**
 * What the ossim agent would misread in a plugin file (the AlienVault ossim-agent source): values it changes (outer
 * quotes stripped, ` ;` comments, `%` interpolation, surrounding blanks), `\n` inside a regexp
 * (the agent splits the rule there), non-ASCII text (the agent reads latin1), lines that are
 * neither a section, an option nor a comment, duplicate sections or keys.
 */
export function pluginCfgProblems(text: string): string[] {
  const problems: string[] = [];
  const sections = new Set<string>();
  let keys = new Set<string>();
  let section: string | undefined;
  text.split('\n').forEach((line, i) => {
    const at = `line ${i + 1}`;
    if (/\r/.test(line)) problems.push(`${at}: carriage return`);
    if (/[^\x20-\x7e\t\r]/.test(line)) problems.push(`${at}: non-ASCII or control character (the agent reads the file as latin1)`);
    if (line.trim() === '' || /^[#;]/.test(line)) return;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      section = sec[1];
      if (sections.has(section.toLowerCase())) problems.push(`${at}: section [${section}] appears twice`);
      sections.add(section.toLowerCase());
      keys = new Set();
      return;
    }
    if (/^\s/.test(line)) {
      problems.push(`${at}: indented line (ConfigParser reads it as a continuation of the previous value)`);
      return;
    }
    const kv = /^([^=:]+)=(.*)$/.exec(line);
    if (!kv || section === undefined) {
      problems.push(`${at}: neither [section], key=value nor comment`);
      return;
    }
    const [, key, val] = kv;
    if (key !== key.trim() || !/^[A-Za-z0-9_.-]+$/.test(key)) problems.push(`${at}: key ${JSON.stringify(key)} has characters ConfigParser would change`);
    if (keys.has(key.toLowerCase())) problems.push(`${at}: key ${key} appears twice in [${section}] (ConfigParser lowercases keys)`);
    keys.add(key.toLowerCase());
    if (val.includes('%')) problems.push(`${at}: "%" in ${key} triggers ConfigParser interpolation`);
    if (/\s[;#]/.test(val)) problems.push(`${at}: whitespace followed by ";" or "#" in ${key} starts an inline comment`);
    if (/^["']|["']$/.test(val)) problems.push(`${at}: ${key} starts or ends with a quote, which the agent strips`);
    if (val !== val.trim()) problems.push(`${at}: ${key} has surrounding blanks, which ConfigParser drops`);
    if (key.toLowerCase() === 'regexp' && val.includes('\\n')) problems.push(`${at}: "\\n" in regexp makes the agent split the rule into several regexps`);
  });
  return problems;
}
