/**
 * Syslog lines (RFC 3164 and RFC 5424) and TCP framing (RFC 6587), only as much as
 * the connectors need: read what a SIEM or KATA sends, write test traffic, split streams.
 */
import { UserError } from '../kernel/errors.js';

export interface SyslogMessage {
  format: 'rfc3164' | 'rfc5424';
  pri?: number;
  facility?: number;
  severity?: number;
  /** As written: `Apr 16 09:05:41` (3164, no year) or RFC 3339 (5424); absent for a 5424 nil `-`. */
  timestamp?: string;
  host?: string;
  /** 3164 TAG without the `[pid]` part, or the 5424 APP-NAME. */
  tag?: string;
  app?: string;
  procId?: string;
  msgId?: string;
  /** 5424 structured data as written, absent for `-`. */
  structuredData?: string;
  msg: string;
}

export class SyslogParseError extends UserError {
  constructor(message: string) {
    super(`syslog parse error: ${message}`);
    this.name = 'SyslogParseError';
  }
}

const PRI_RE = /^<(\d{1,3})>/;
const RFC5424_RE = /^1 (\S+) (\S+) (\S+) (\S+) (\S+) /;
// BSD timestamp (`Apr  6 09:05:41`, day space-padded) or the RFC 3339 stamp rsyslog forwards.
const TS3164_RE = /^(?:([A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2})|(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))) +(\S+)(?: |$)/;
// A TAG ends with `:` then a space; `CEF:0|…` has no space after the colon, so it stays message text.
const TAG_RE = /^([^\s:[\]]{1,48})(?:\[([^\]\s]*)\])?:(?: |$)/;

export function parseSyslog(line: string): SyslogMessage {
  let rest = line.replace(/\r?\n$/, '');
  const out: Partial<SyslogMessage> = {};
  const pri = PRI_RE.exec(rest);
  if (pri) {
    const value = Number(pri[1]);
    if (value > 191) throw new SyslogParseError(`PRI <${pri[1]}> is out of range 0-191`);
    out.pri = value;
    out.facility = value >> 3;
    out.severity = value & 7;
    rest = rest.slice(pri[0].length);
  }

  const v1 = pri ? RFC5424_RE.exec(rest) : null;
  if (v1) {
    const nil = (s: string) => (s === '-' ? undefined : s);
    rest = rest.slice(v1[0].length);
    const sdLen = structuredDataLength(rest);
    const sd = rest.slice(0, sdLen);
    let msg = rest.slice(sdLen).replace(/^ /, '');
    if (msg.startsWith('\uFEFF')) msg = msg.slice(1);
    return dropUndefined({
      format: 'rfc5424',
      ...out,
      timestamp: nil(v1[1]),
      host: nil(v1[2]),
      app: nil(v1[3]),
      tag: nil(v1[3]),
      procId: nil(v1[4]),
      msgId: nil(v1[5]),
      structuredData: nil(sd),
      msg,
    });
  }

  const ts = TS3164_RE.exec(rest);
  if (!ts) {
    throw new SyslogParseError(`no RFC 3164 timestamp ('Mmm dd hh:mm:ss') or RFC 5424 header after the PRI in '${line.slice(0, 60)}'`);
  }
  rest = rest.slice(ts[0].length);
  const tag = TAG_RE.exec(rest);
  if (tag) rest = rest.slice(tag[0].length);
  return dropUndefined({
    format: 'rfc3164',
    ...out,
    timestamp: ts[1] ?? ts[2],
    host: ts[3],
    tag: tag?.[1],
    procId: tag?.[2] || undefined,
    msg: rest,
  });
}

/** Length of the SD part at the start of `s`: `-` or `[id k="v" …]…`, with `\]` `\"` `\\` inside quotes. */
function structuredDataLength(s: string): number {
  if (s.startsWith('-')) return 1;
  let i = 0;
  while (s[i] === '[') {
    let quoted = false;
    i++;
    for (; i < s.length; i++) {
      const c = s[i];
      if (quoted && c === '\\') i++;
      else if (c === '"') quoted = !quoted;
      else if (c === ']' && !quoted) break;
    }
    if (i >= s.length) throw new SyslogParseError('unterminated structured data element');
    i++;
  }
  if (i === 0) throw new SyslogParseError(`structured data must be '-' or start with '[', got '${s.slice(0, 20)}'`);
  return i;
}

function dropUndefined(m: Partial<SyslogMessage>): SyslogMessage {
  for (const k of Object.keys(m) as (keyof SyslogMessage)[]) if (m[k] === undefined) delete m[k];
  return m as SyslogMessage;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface Syslog3164Input {
  pri: number;
  /** A Date is written as `Mmm dd hh:mm:ss` in local time (or UTC with `utc`); a string is used as is. */
  date: Date | string;
  host: string;
  tag?: string;
  msg: string;
  utc?: boolean;
}

export function formatSyslog3164(m: Syslog3164Input): string {
  if (!Number.isInteger(m.pri) || m.pri < 0 || m.pri > 191) {
    throw new UserError(`syslog PRI must be an integer 0-191, got ${m.pri}`);
  }
  if (!/^\S+$/.test(m.host)) throw new UserError(`syslog host '${m.host}' must be one word`);
  if (m.tag !== undefined && !/^[^\s:]+$/.test(m.tag)) {
    throw new UserError(`syslog tag '${m.tag}' must be one word without ':'`);
  }
  const date = typeof m.date === 'string' ? m.date : bsdDate(m.date, m.utc ?? false);
  const tag = m.tag === undefined ? '' : `${m.tag}: `;
  return `<${m.pri}>${date} ${m.host} ${tag}${m.msg}`;
}

function bsdDate(d: Date, utc: boolean): string {
  const [mon, day, h, mi, s] = utc
    ? [d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[mon]} ${String(day).padStart(2, ' ')} ${p2(h)}:${p2(mi)}:${p2(s)}`;
}

/** RFC 6587 octet counting: `MSG-LEN SP MSG`, the length in UTF-8 bytes. */
export function frameOctetCounting(msg: string): string {
  return `${Buffer.byteLength(msg, 'utf8')} ${msg}`;
}

/**
 * Split a TCP byte stream into syslog messages. A frame starting with a digit is
 * octet-counted; anything else (normally `<`) runs to the next LF (CRLF tolerated).
 * `rest` holds an incomplete tail: prepend it to the next chunk.
 */
export function splitFrames(buffer: Buffer | string): { frames: string[]; rest: Buffer } {
  const buf = typeof buffer === 'string' ? Buffer.from(buffer, 'utf8') : buffer;
  const frames: string[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const c = buf[pos];
    if (c === 0x0a || c === 0x0d) {
      pos++; // blank line between LF frames
      continue;
    }
    if (c >= 0x31 && c <= 0x39) {
      // Up to 10 digits then a space. Digits reaching the end of the buffer fall through to
      // the LF search below, find no LF and wait for more data, which is what we want.
      let j = pos;
      while (j < buf.length && j - pos < 10 && buf[j] >= 0x30 && buf[j] <= 0x39) j++;
      if (buf[j] === 0x20) {
        const len = Number(buf.toString('latin1', pos, j));
        const end = j + 1 + len;
        if (end > buf.length) break;
        frames.push(buf.toString('utf8', j + 1, end));
        pos = end;
        continue;
      }
      // Digits not followed by a space: not a count, read it as an LF-terminated line.
    }
    const lf = buf.indexOf(0x0a, pos);
    if (lf < 0) break;
    const end = lf > pos && buf[lf - 1] === 0x0d ? lf - 1 : lf;
    frames.push(buf.toString('utf8', pos, end));
    pos = lf + 1;
  }
  return { frames, rest: buf.subarray(pos) };
}
