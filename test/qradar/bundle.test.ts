/**
 * The QRadar bundle: the guide filled with the site's values, refusals with positions, and the
 * scripts run for real — qidmap.sh against a recording stand-in for qidmap_cli.sh, rest/create.sh
 * (bash, curl, python3) against a stand-in of QRadar's REST API on 127.0.0.1.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFor, exampleSite, fileText, siteFromYaml, siteProblems } from '../helpers/bundles.js';
import type { Bundle } from '../../src/bundle/build.js';

const LAB = `name: lab
cybertrace:
  address: 10.9.8.7
  input_port: 10999
categories:
  kaspersky: [KL_Malicious_URL, KL_IP_Reputation, KL_Malicious_Hash_MD5, KL_BotnetCnC_URL]
  custom:
    - name: Partner_Feed
      title: "Partner feed: it's a hit"
siems:
  qradar:
    address: qradar.lab.example
    syslog_port: 1514
    console_address: console.lab.example
    log_source_identifier: ct-lab
    verification_log_source: ct-lab-verify
    forwarding_destination: CT lab
    routing_rule: CT lab rule
    forwarded_log_sources: [Proxy lab, Firewall lab]
    detection_severity: 7
    service_severity: 2
    category_severity: { KL_BotnetCnC_URL: 10 }
    low_level_categories: { hash: 6002 }
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ctc-qradar-'));
  dirs.push(d);
  return d;
}

/** Writes the bundle's files under a fresh folder, with their modes. */
function written(b: Bundle): string {
  const dir = tmp();
  for (const f of b.files) {
    const p = join(dir, f.path);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, f.content);
    chmodSync(p, f.mode);
  }
  return dir;
}

describe('QRadar bundle', () => {
  it('fills the log sources, forwarding destination and routing rule from the site', async () => {
    const b = await bundleFor('qradar', siteFromYaml(LAB));
    const install = fileText(b, 'INSTALL.md');
    expect(install).toContain('| Log Source Identifier | ct-lab |');
    expect(install).toContain('| Log Source Type | Universal LEEF |');
    expect(install).toContain('| Coalescing Events | cleared (do not select it) |');
    expect(install).toContain('Identifier **ct-lab-verify** (Universal LEEF, Syslog, Coalescing Events cleared)');
    expect(install).toContain('| Name | CT lab |');
    expect(install).toContain('| Destination Address | 10.9.8.7 |');
    expect(install).toContain('| Event Format | Payload |');
    expect(install).toContain('| Destination Port | 10999 |');
    expect(install).toContain('| Protocol | TCP |');
    expect(install).toContain('| Mode | Online |');
    expect(install).toContain('| Data Source | Events |');
    expect(install).toContain('| Match All Incoming Events | **cleared** |');
    expect(install).toContain('| Event filter | **Log Source** — **Equals any of** — Proxy lab, Firewall lab, ct-lab-verify |');
    expect(install.match(/Admin > Deploy Changes/g)?.length).toBeGreaterThanOrEqual(2);
    expect(install).toContain('QRADAR_CONSOLE=https://console.lab.example ./qradar/rest/create.sh properties');
    expect(install).toContain('ctconnect cybertrace patch --siem qradar');
    expect(b.settings.input.connectionString).toBe('10.9.8.7:10999');
    expect(b.settings.output.connectionString).toBe('qradar.lab.example:1514');
    expect(b.settings.output.eventFormat.startsWith('<12>%Date% ct-lab LEEF:2.0|')).toBe(true);
    expect(b.steps.map((s) => s.role)).toEqual(['cybertrace']);
  });

  it('says what an empty log source list means for the routing rule', async () => {
    const install = fileText(
      await bundleFor('qradar', siteFromYaml('cybertrace:\n  address: 10.0.0.5\nsiems:\n  qradar:\n    address: 10.0.0.6\n')),
      'INSTALL.md',
    );
    expect(install).toContain('— **Equals any of** — KL_Verification_Tool |');
    expect(install).toContain('`siems.qradar.forwarded_log_sources` is empty');
  });

  it('QID map entries: every category (custom too) and every service alert, severities and low-level categories per kind', async () => {
    const b = await bundleFor('qradar', siteFromYaml(LAB));
    const records = JSON.parse(fileText(b, 'qradar/rest/qid_records.json')) as Array<{
      name: string;
      severity: number;
      low_level_category_id: number;
      description: string;
    }>;
    const mappings = JSON.parse(fileText(b, 'qradar/rest/dsm_event_mappings.json')) as Array<{
      log_source_event_id: string;
      log_source_event_category: string;
    }>;
    expect(mappings.map((m) => `${m.log_source_event_id}/${m.log_source_event_category}`)).toEqual([
      'Detection/KL_Malicious_URL',
      'Detection/KL_IP_Reputation',
      'Detection/KL_Malicious_Hash_MD5',
      'Detection/KL_BotnetCnC_URL',
      'Detection/Partner_Feed',
      ...[
        'ServiceStarted',
        'ServiceStopped',
        'ServiceUnavailable',
        'ConfigurationUpdated',
        'UpdatedFeed',
        'OutdatedFeed',
        'FeedBecameAvailable',
        'FeedBecameUnavailable',
      ].map((a) => `ServiceEvent/KL_ALERT_${a}`),
    ]);
    expect(records.slice(0, 5).map((r) => [r.name, r.severity, r.low_level_category_id])).toEqual([
      ['Malicious URL detected', 7, 7062],
      ['IP reputation detected', 7, 7058],
      ['Malicious hash (MD5) detected', 7, 6002],
      ['Botnet CnC URL detected', 10, 7061],
      ["Partner feed: it's a hit", 7, 7023],
    ]);
    expect(records.slice(5).every((r) => r.severity === 2 && r.low_level_category_id === 8036)).toBe(true);
    const table = fileText(b, 'qradar/qid-map.md');
    expect(table).toContain("| Detection | Partner_Feed | Partner feed: it's a hit | 7 | 7023 |");
    expect(table).toContain('| other | custom and other categories that none of the rules above describes | 7023 | Partner_Feed |');
  });

  it('qidmap.sh passes bash -n and calls qidmap_cli.sh once per entry with the exact arguments', async () => {
    const b = await bundleFor('qradar', siteFromYaml(LAB));
    const dir = written(b);
    const script = join(dir, 'qradar', 'qidmap.sh');
    expect(spawnSync('bash', ['-n', script]).status).toBe(0);
    // A stand-in for /opt/qradar/bin/qidmap_cli.sh that records its arguments, one per line.
    const stub = join(dir, 'qidmap_cli.sh');
    writeFileSync(stub, `#!/bin/bash\nfor a in "$@"; do printf '%s\\n' "$a"; done >> "${dir}/calls"\necho ---- >> "${dir}/calls"\n`, { mode: 0o755 });
    const r = spawnSync('bash', [script], { env: { ...process.env, QIDMAP_CLI: stub }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const calls = readFileSync(join(dir, 'calls'), 'utf8')
      .split('----\n')
      .filter(Boolean)
      .map((c) => c.split('\n').filter(Boolean));
    expect(calls).toHaveLength(13);
    expect(calls[4]).toEqual([
      '-c',
      '--qname',
      "Partner feed: it's a hit",
      '--qdescription',
      'Kaspersky CyberTrace detection, category Partner_Feed',
      '--severity',
      '7',
      '--lowlevelcategoryid',
      '7023',
    ]);
    expect(calls[12]).toEqual([
      '-c',
      '--qname',
      'CyberTrace service event KL_ALERT_FeedBecameUnavailable',
      '--qdescription',
      'Kaspersky CyberTrace service event KL_ALERT_FeedBecameUnavailable',
      '--severity',
      '2',
      '--lowlevelcategoryid',
      '8036',
    ]);
  });

  it('rest/create.sh creates properties with their LEEF expressions and QID records with their mappings, the token only in a header', async () => {
    const b = await bundleFor('qradar', siteFromYaml(LAB));
    const dir = written(b);
    const token = 'tok-3f9a secret';
    const requests: Array<{ method: string; url: string; sec?: string; body?: unknown }> = [];
    let next = 100;
    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      let text = '';
      for await (const chunk of req) text += chunk;
      requests.push({ method: req.method!, url: req.url!, sec: req.headers.sec as string | undefined, ...(text ? { body: JSON.parse(text) } : {}) });
      res.setHeader('content-type', 'application/json');
      if (req.headers.sec !== token) return res.writeHead(401).end('{"message":"no token"}');
      if (req.url!.startsWith('/api/config/event_sources/log_source_management/log_source_types')) return res.end(JSON.stringify([{ id: 4711 }]));
      if (req.url === '/api/config/event_sources/custom_properties/regex_properties')
        return res.writeHead(201).end(JSON.stringify({ identifier: `prop-${next++}` }));
      if (req.url === '/api/data_classification/qid_records') return res.writeHead(201).end(JSON.stringify({ id: next++ }));
      return res.writeHead(201).end('{}');
    };
    const server = createServer((req, res) => void handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const run = (what: string) =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn('bash', [join(dir, 'qradar', 'rest', 'create.sh'), what], {
            env: { ...process.env, QRADAR_TOKEN: token, QRADAR_CONSOLE: `http://127.0.0.1:${port}` },
          });
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          child.stderr.on('data', (d) => (out += d));
          child.on('close', (code) => resolve({ code, out }));
        });
      const r = await run('all');
      expect(r.code, r.out).toBe(0);
      expect(requests.every((q) => q.sec === token)).toBe(true);
      const posts = (path: string) => requests.filter((q) => q.method === 'POST' && q.url === `/api/${path}`).map((q) => q.body as Record<string, unknown>);
      const props = posts('config/event_sources/custom_properties/regex_properties');
      const exprs = posts('config/event_sources/custom_properties/property_leef_expressions');
      expect(props.map((p) => p.name)).toEqual([
        'URL',
        'MD5',
        'SHA1',
        'SHA256',
        'Matched Indicator',
        'Confidence',
        'Device Host',
        'Device Product',
        'Record Context',
      ]);
      expect(exprs.map((e) => [e.expression, e.regex_property_identifier, e.log_source_type_id, e.enabled])).toEqual(
        ['url', 'md5', 'sha1', 'sha256', 'matchedIndicator', 'confidence', 'deviceHost', 'deviceProduct', 'recordContext'].map((k, i) => [
          k,
          `prop-${100 + i}`,
          4711,
          true,
        ]),
      );
      const qids = posts('data_classification/qid_records');
      const maps = posts('data_classification/dsm_event_mappings');
      expect(qids).toHaveLength(13);
      expect(qids[3]).toEqual({
        name: 'Botnet CnC URL detected',
        description: 'Kaspersky CyberTrace detection, category KL_BotnetCnC_URL',
        severity: 10,
        low_level_category_id: 7061,
        log_source_type_id: 4711,
      });
      expect(maps[3]).toEqual({
        log_source_event_id: 'Detection',
        log_source_event_category: 'KL_BotnetCnC_URL',
        log_source_type_id: 4711,
        qid_record_id: 112,
      });
      // Without the token the script stops before posting anything, naming the variable.
      const bare = spawnSync('bash', [join(dir, 'qradar', 'rest', 'create.sh'), 'qids'], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
      expect(bare.status).not.toBe(0);
      expect(bare.stderr).toContain('QRADAR_TOKEN');
      // The token is on no command line: the script hands it to curl through a header file.
      const script = readFileSync(join(dir, 'qradar', 'rest', 'create.sh'), 'utf8');
      expect(script).toContain(`-H @<(printf 'SEC: %s\\n`);
      expect(script).not.toMatch(/-H ["']?SEC: \$/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('REST bodies are valid JSON (python3 -m json.tool) and the scripts parse (bash -n)', async () => {
    const dir = written(await bundleFor('qradar', exampleSite()));
    for (const f of ['regex_properties', 'property_leef_expressions', 'qid_records', 'dsm_event_mappings']) {
      const r = spawnSync('python3', ['-m', 'json.tool', join(dir, 'qradar', 'rest', `${f}.json`)], { encoding: 'utf8' });
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
    }
    for (const s of ['qradar/qidmap.sh', 'qradar/rest/create.sh']) expect(spawnSync('bash', ['-n', join(dir, s)]).status, s).toBe(0);
  });

  it('refuses a log source identifier QRadar would not match, a delimiter that is not one character and severities outside 1-10, naming field and position', () => {
    const problems = siteProblems;
    const head = 'cybertrace:\n  address: 10.0.0.5\nsiems:\n  qradar:\n    address: 10.0.0.6\n';
    expect(problems(`${head}    log_source_identifier: 'KL Threat Feed'\n`)).toMatch(
      /^test-site\.yaml:6:\d+: siems\.qradar\.log_source_identifier: must be a log source identifier: .*no spaces/m,
    );
    expect(problems(`${head}    log_source_identifier: ''\n`)).toMatch(/^test-site\.yaml:6:\d+: siems\.qradar\.log_source_identifier: /m);
    expect(problems(`${head}    verification_log_source: 'KL Verification'\n`)).toMatch(/^test-site\.yaml:6:\d+: siems\.qradar\.verification_log_source: /m);
    expect(problems(`${head}    delimiter: '^^'\n`)).toMatch(/^test-site\.yaml:6:\d+: siems\.qradar\.delimiter: must be one ASCII punctuation character/m);
    expect(problems(`${head}    delimiter: ''\n`)).toMatch(/^test-site\.yaml:6:\d+: siems\.qradar\.delimiter: /m);
    expect(problems(`${head}    delimiter: '='\n`)).toMatch(/^test-site\.yaml:6:\d+: siems\.qradar\.delimiter: /m);
    expect(problems(`${head}    detection_severity: 11\n`)).toMatch(/^test-site\.yaml:6:\d+: siems\.qradar\.detection_severity: /m);
    expect(problems(`${head}    service_severity: 0\n`)).toMatch(/^test-site\.yaml:6:\d+: siems\.qradar\.service_severity: /m);
    expect(problems(`${head}    category_severity: { KL_Malicious_URL: 12 }\n`)).toMatch(
      /^test-site\.yaml:6:\d+: siems\.qradar\.category_severity\.KL_Malicious_URL: /m,
    );
    expect(problems(`${head}    category_severity: { No_Such_Category: 5 }\n`)).toMatch(
      /^test-site\.yaml:6:\d+: siems\.qradar\.category_severity\.No_Such_Category: "No_Such_Category" is not one of the site's categories/m,
    );
    expect(problems(`${head}    verification_log_source: KL_Threat_Feed_Service_v2\n`)).toMatch(
      /siems\.qradar\.verification_log_source: must differ from log_source_identifier/m,
    );
    expect(problems(`${head}    delimiter: ';'\n    detection_severity: 10\n    service_severity: 1\n`)).toBe('accepted');
  });
});
