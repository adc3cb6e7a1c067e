/**
 * Runs ossim_agent_rules.py (the agent's way of reading a plugin and its log file) with python3.
 * The sensor's config.cfg decides the encoding the log is read in, as on an appliance: by default
 * the one the bundle sets up (a stock config.cfg whose [plugins] has the entry the sensor UI
 * writes, with the bundle's block merged in the way `ctconnect deploy` merges it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_CONFIG_MERGE, agentPluginsBlock, PLUGIN_DIR, SENSOR_PLUGIN_NAME } from '../../connectors/alienvault/agent-config.js';
import { PLUGIN_FILE } from '../../connectors/alienvault/plugin-cfg.js';
import { applyMerge } from '../../src/deploy/merge.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'ossim_agent_rules.py');
const INSTALLED_PATH = `${PLUGIN_DIR}/${PLUGIN_FILE}`;

/**
 * A sensor's config.cfg after the plugin was enabled in the web interface: the entry
 * `alienvault-reconfig` writes, without an encoding, and [plugins] not the last section.
 */
export const SENSOR_CONFIG_UI_ONLY = [
  '[daemon]',
  'daemon = True',
  'pid = /var/run/ossim-agent.pid',
  '',
  '[plugin-defaults]',
  'sensor = 192.0.2.20',
  'interface = any',
  'date_format = %Y-%m-%d %H:%M:%S ; format, not date itself',
  '',
  '[plugins]',
  'ssh=/etc/ossim/agent/plugins/ssh.cfg',
  `${SENSOR_PLUGIN_NAME}=${INSTALLED_PATH}`,
  'sudo=/etc/ossim/agent/plugins/sudo.cfg',
  '',
  '[watchdog]',
  'enable = True',
  'interval = 180',
  '',
].join('\n');

/** The same config.cfg with the bundle's block merged in as the deployer merges it. */
export const SENSOR_CONFIG_WITH_BUNDLE = applyMerge(AGENT_CONFIG_MERGE, SENSOR_CONFIG_UI_ONLY, agentPluginsBlock());

export interface AgentResult {
  /** The line as the agent read it (without its newline). */
  line: string;
  section?: string | null;
  attributes?: Record<string, string>;
  /** The agent's parser loop died on this line; nothing after it is read. */
  fatal?: string;
}

export interface AgentOptions {
  /** Text of the sensor's /etc/ossim/agent/config.cfg (default SENSOR_CONFIG_WITH_BUNDLE). */
  agentConfig?: string;
}

/** `log`: lines (written as UTF-8, one per line, as rsyslog writes them) or the log file's bytes. */
export function runAgent(cfgText: string, log: string[] | Buffer, opts: AgentOptions = {}): { code: number; stderr: string; results: AgentResult[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ctconnect-agent-'));
  try {
    const config = join(dir, 'config.cfg');
    const cfg = join(dir, PLUGIN_FILE);
    const logFile = join(dir, 'plugin.log');
    writeFileSync(config, opts.agentConfig ?? SENSOR_CONFIG_WITH_BUNDLE, 'latin1');
    writeFileSync(cfg, cfgText, 'utf8');
    writeFileSync(logFile, Buffer.isBuffer(log) ? log : log.length === 0 ? '' : log.join('\n') + '\n', 'utf8');
    const r = spawnSync('python3', [SCRIPT, config, INSTALLED_PATH, cfg, logFile], { encoding: 'utf8', timeout: 30_000 });
    if (r.error) throw r.error;
    const results =
      r.status === 0
        ? r.stdout
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as AgentResult)
        : [];
    return { code: r.status ?? -1, stderr: r.stderr, results };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
