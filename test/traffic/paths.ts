/**
 * The real paths a detection event takes from CyberTrace to what the SIEM shows, for the
 * hostile-traffic set. A connector without an entry in REAL_PATHS goes through the default:
 * its bytes decoded as UTF-8 the way a reader that does not stop on bad bytes decodes them,
 * then the connector's own SIEM-side parser (and, for CEF, the strict reader as well).
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connector } from '../../src/connector/contract.js';
import type { ParsedEvent } from '../../src/model/events.js';
import type { FieldRole } from '../../src/model/events.js';
import type { Site } from '../../src/model/site.js';
import { buildBundle } from '../../src/bundle/build.js';
import { createRenderer } from '../../src/render/engine.js';
import { mergeMarkedBlock } from '../../src/deploy/merge.js';
import { contextPairsParser } from '../../src/cybertrace/context-pairs.js';
import { BUNDLE_PATH } from '../../connectors/alienvault/index.js';
import { DETECTION_USERDATA, RECORD_FIELD_CONTEXT_FORMAT as AV_CONTEXT } from '../../connectors/alienvault/contract.js';
import { pluginCfg } from '../../connectors/alienvault/plugin-cfg.js';
import { DETECTION_EXTRACTIONS } from '../../connectors/splunk/extractions.js';
import { CONTEXT_KEY_PREFIX } from '../../connectors/splunk/contract.js';
import { runAgent } from '../alienvault/agent.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/rsyslog.js';
import { writeBundle } from '../splunk/helpers/app.js';

/** What came out of a path for each event sent, in order; `misreads` are a strict reader's disagreements. */
export interface PathResult {
  events: Array<ParsedEvent | { error: string }>;
  misreads?: string[][];
}

export interface TrafficPath {
  /** What the path makes of bytes that are not UTF-8 (the expected text). */
  replace: (invalid: Buffer) => string;
  run: (lines: Buffer[]) => Promise<PathResult>;
  describe: string;
}

const decoder = new TextDecoder('utf-8');
/** WHATWG/Python "replace": one U+FFFD per maximal invalid sequence. */
export const decodeReplacing = (b: Buffer) => decoder.decode(b);

function defaultPath(c: Connector, site: Site): TrafficPath {
  return {
    describe: `UTF-8 decoding with U+FFFD, then the ${c.title} parser${c.wire.strictMisreads ? ' and a strict reader of the format' : ''}`,
    replace: decodeReplacing,
    run: async (lines) => {
      const events: PathResult['events'] = [];
      const misreads: string[][] = [];
      for (const b of lines) {
        const text = decodeReplacing(b);
        try {
          events.push(c.wire.parseEvent(c.wire.asReceived ? c.wire.asReceived(text, site) : text, site));
        } catch (e) {
          events.push({ error: (e as Error).message });
        }
        if (c.wire.strictMisreads) misreads.push(c.wire.strictMisreads(text, site));
      }
      return c.wire.strictMisreads ? { events, misreads } : { events };
    },
  };
}

/**
 * AlienVault: a real rsyslogd whose rsyslog.conf is OSSIM-shaped (UDP and TCP inputs first, as on
 * the appliance) with the bundle's blocks merged in as `deploy` merges them; CyberTrace's events
 * sent from its address over TCP (as CyberTrace sends) or UDP; the log file read by the agent
 * emulation in the encoding the bundle configures.
 */
export function ossimRsyslogConf(dir: string, udpPort: number, tcpPort: number, logDir: string): string {
  return [
    '$ModLoad imuxsock',
    '$ModLoad imudp',
    '$UDPServerAddress 127.0.0.1',
    `$UDPServerRun ${udpPort}`,
    'module(load="imtcp")',
    `input(type="imtcp" address="127.0.0.1" port="${tcpPort}")`,
    `$WorkDirectory ${dir}`,
    '$ActionFileDefaultTemplate RSYSLOG_TraditionalFileFormat',
    '# rsyslog zasec.conf',
    `if not ($fromhost-ip == '127.0.0.1') then -${logDir}/asec_unk.log`,
    "if not ($fromhost-ip == '127.0.0.1') then ~",
    '',
  ].join('\n');
}

export const CYBERTRACE_ADDRESS = '127.0.0.3';

export async function alienvaultRsyslogConf(site: Site, dir: string, udpPort: number, tcpPort: number): Promise<{ conf: string; logFile: string; site: Site }> {
  const logFile = join(dir, 'kaspersky_cyberTrace.log');
  const local: Site = {
    ...site,
    siems: { ...site.siems, alienvault: { ...site.siems.alienvault, cybertrace_source_ip: CYBERTRACE_ADDRESS, log_file: logFile } },
  };
  const { alienvault } = await import('../../connectors/alienvault/index.js');
  const files = (await buildBundle(alienvault, local, createRenderer())).files;
  let conf = ossimRsyslogConf(dir, udpPort, tcpPort, dir);
  for (const p of [BUNDLE_PATH.forward, BUNDLE_PATH.inbound]) {
    const f = files.find((x) => x.path === p)!;
    if (f.install?.merge?.kind !== 'marked-block') throw new Error('the rsyslog blocks are marked blocks');
    conf = mergeMarkedBlock(f.install.merge, conf, f.content as string);
  }
  return { conf, logFile, site: local };
}

export interface Rsyslogd {
  logFile: string;
  site: Site;
  tcp: number;
  udp: number;
  stop: () => Promise<void>;
}

export async function startAlienVaultRsyslog(site: Site, edit: (conf: string) => string = (c) => c): Promise<Rsyslogd & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ctconnect-traffic-'));
  const udp = await freePort();
  const tcp = await freePort();
  const { conf, logFile, site: local } = await alienvaultRsyslogConf(site, dir, udp, tcp);
  writeFileSync(join(dir, 'rsyslog.conf'), edit(conf));
  const { spawn } = await import('node:child_process');
  const proc = spawn('rsyslogd', ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslog.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const listening = () =>
    new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: tcp }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
  const deadline = Date.now() + 10_000;
  while (!(await listening())) {
    if (Date.now() > deadline || proc.exitCode !== null) {
      await stop();
      throw new Error(`rsyslogd did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { dir, logFile, site: local, tcp, udp, stop };
}

/** Sends the lines over one TCP connection from CyberTrace's address (or `from`). */
export function sendTcp(port: number, lines: Buffer[], from = CYBERTRACE_ADDRESS): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress: from }, () =>
      s.end(Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])), () => resolve()),
    );
    s.on('error', reject);
  });
}

/** Sends each line as one datagram from CyberTrace's address (or `from`). */
export async function sendUdp(port: number, lines: Buffer[], from = CYBERTRACE_ADDRESS): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, from, () => r()));
  for (const l of lines) await new Promise<void>((resolve, reject) => s.send(l, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  s.close();
}

/** Lines of the log file once it holds `count` of them (rsyslog writes whole lines). */
export async function logLines(file: string, count: number): Promise<Buffer[]> {
  const read = () => (existsSync(file) ? readFileSync(file) : Buffer.alloc(0));
  const split = (b: Buffer) => {
    const out: Buffer[] = [];
    let at = 0;
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, at)) {
      out.push(b.subarray(at, i));
      at = i + 1;
    }
    return out;
  };
  await waitFor(() => split(read()).length >= count, `${count} lines in ${file}`, 400);
  return split(read());
}

const parseAvContext = contextPairsParser(AV_CONTEXT);

/** The agent's reading of the log file turned into roles, like the SIEM shows them (userdata fields). */
export function agentEvents(site: Site, log: Buffer): Array<ParsedEvent | { error: string }> {
  const agent = runAgent(pluginCfg(site), log);
  if (agent.code !== 0) throw new Error(`the agent emulation failed: ${agent.stderr}`);
  return agent.results.map((r) => {
    if (r.fatal) return { error: `agent parser loop died: ${r.fatal}` };
    if (!r.section || !r.attributes) return { error: `no rule matches the line the agent read: ${JSON.stringify(r.line.slice(0, 100))}` };
    const fields: Partial<Record<FieldRole, string>> = {};
    let context: Array<[string, string]> = [];
    for (const { userdata, role } of DETECTION_USERDATA) {
      const v = r.attributes[userdata];
      if (v === undefined) continue;
      if (role === 'context') context = parseAvContext(v);
      else if (v !== '-' && v !== '') fields[role] = v;
    }
    return { kind: 'detection', fields, context };
  });
}

function alienvaultPath(_c: Connector, site: Site): TrafficPath {
  return {
    describe: 'real rsyslogd (OSSIM-shaped rsyslog.conf with the bundle blocks), then the agent emulation reading the log file as UTF-8',
    replace: (b) => '?'.repeat(b.length),
    run: async (lines) => {
      const rs = await startAlienVaultRsyslog(site);
      try {
        await sendTcp(rs.tcp, lines);
        const written = await logLines(rs.logFile, lines.length);
        return { events: agentEvents(rs.site, Buffer.concat(written.flatMap((l) => [l, Buffer.from('\n')]))) };
      } finally {
        await rs.stop();
      }
    },
  };
}

/**
 * Splunk: the lookup script's own reading (its Connection.read_line over a socket pair, then its
 * ReplyParser with bin/config.json) and Splunk's search-time extraction (transforms.conf of the
 * app applied with Python's re). Both must agree; the result is the lookup script's.
 */
const SPLUNK_PY = `
import base64, json, re, socket, sys, time
sys.path.insert(0, sys.argv[1])
import kl_search
data = json.load(sys.stdin)
cfg = kl_search.load_config()
parser = kl_search.ReplyParser(cfg)
a, b = socket.socketpair()
conn = kl_search.Connection.__new__(kl_search.Connection)
conn.sock, conn.buffer, conn.where, conn.timeout = a, b"", "pair", 5
lines = [base64.b64decode(x) for x in data["lines"]]
b.sendall(b"".join(l + b"\\n" for l in lines))
out = []
for _ in lines:
    text = conn.read_line(time.monotonic() + 5)
    try:
        found = parser.parse(text, "pair")
    except kl_search.ServiceError as e:
        out.append({"error": str(e)})
        continue
    search = {}
    for t in data["transforms"]:
        m = re.search(t["regex"], text)
        if m and m.group(1) is not None:
            search[t["field"]] = m.group(1)
    ctx = [[k, v] for k, v in re.findall(data["context"], text)]
    out.append({"found": found, "search": search, "search_context": ctx})
json.dump(out, sys.stdout)
`;

function splunkPath(c: Connector, site: Site): TrafficPath {
  return {
    describe: "the lookup script's socket reader and reply parser, and the app's search-time extractions (Python re)",
    replace: decodeReplacing,
    run: async (lines) => {
      const bundle = await buildBundle(c, site, createRenderer());
      const dir = writeBundle(bundle);
      try {
        const bin = join(dir, 'Kaspersky_CyberTrace_App_for_Splunk', 'bin');
        const cfg = JSON.parse(readFileSync(join(bin, 'config.json'), 'utf8')) as { reply_context: string };
        const input = JSON.stringify({
          lines: lines.map((l) => l.toString('base64')),
          transforms: DETECTION_EXTRACTIONS.map((x) => ({ field: x.field, regex: x.regex })),
          context: cfg.reply_context,
        });
        const r = spawnSync('python3', ['-c', SPLUNK_PY, bin], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
        if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
        const results = JSON.parse(r.stdout) as Array<{
          error?: string;
          found?: Record<string, unknown>;
          search?: Record<string, string>;
          search_context?: Array<[string, string]>;
        }>;
        const role = new Map(DETECTION_EXTRACTIONS.map((x) => [x.field, x.role]));
        return {
          events: results.map((x) => {
            if (x.error) return { error: x.error };
            const fields: Partial<Record<FieldRole, string>> = {};
            for (const [k, v] of Object.entries(x.found!)) if (k !== 'context' && role.has(k)) fields[role.get(k)!] = v as string;
            const context = (x.found!.context as Array<[string, string]>).map(([k, v]) => [k.slice(CONTEXT_KEY_PREFIX.length), v] as [string, string]);
            const searchFields: Partial<Record<FieldRole, string>> = {};
            for (const [k, v] of Object.entries(x.search!)) searchFields[role.get(k)!] = v;
            if (JSON.stringify(searchFields) !== JSON.stringify(fields) || JSON.stringify(x.search_context) !== JSON.stringify(x.found!.context)) {
              return { error: `the search-time extraction and the lookup script disagree: ${JSON.stringify({ searchFields, fields })}` };
            }
            return { kind: 'detection' as const, fields, context };
          }),
        };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const REAL_PATHS: Record<string, (c: Connector, site: Site) => TrafficPath> = { alienvault: alienvaultPath, splunk: splunkPath };

export function trafficPath(c: Connector, site: Site): TrafficPath {
  return (REAL_PATHS[c.id] ?? defaultPath)(c, site);
}
