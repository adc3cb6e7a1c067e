/**
 * The plugin's entry in the agent's own configuration, /etc/ossim/agent/config.cfg `[plugins]`
 * (the AlienVault ossim-agent source). The agent reads a plugin's log file in the encoding named after `|` in that
 * entry, latin1 without one, through a codecs reader that also ends a line at byte 0x85: UTF-8
 * contexts (WHOIS, geo, file names) would arrive double-encoded, and every `х`, `ą`, `Å` would
 * cut the event. So the bundle enables the plugin with `|utf-8`.
 *
 * How the block coexists with an entry the sensor UI already wrote (from AlienVault's public
 * source, 5.8.x): the agent reads config.cfg with Python 2's ConfigParser, where a repeated
 * `[plugins]` header continues the section and the last value of a key wins; so the block goes
 * at the end of the file and repeats the header. `alienvault-reconfig` rebuilds `[plugins]`
 * from `detectors=` of ossim_setup.conf with Perl's Config::Tiny and keeps an existing value,
 * `|utf-8` included, when the key is spelled exactly as in `detectors=` — hence SENSOR_PLUGIN_NAME.
 */
import type { MergeSpec } from '../../src/connector/index.js';
import { PLUGIN_FILE } from './plugin-cfg.js';

export const AGENT_CONFIG = '/etc/ossim/agent/config.cfg';
/** Where the agent's plugins live. */
export const PLUGIN_DIR = '/etc/ossim/agent/plugins';
/** The name the sensor UI and `detectors=` give the plugin: its file name without `.cfg`. */
export const SENSOR_PLUGIN_NAME = PLUGIN_FILE.replace(/\.cfg$/, '');
export const PLUGIN_ENCODING = 'utf-8';
const AGENT_CONFIG_MARKER = 'ctconnect kaspersky-cybertrace agent plugin entry';

/** No anchor: a new block goes at the end of config.cfg, after whatever [plugins] holds. */
export const AGENT_CONFIG_MERGE: MergeSpec = { kind: 'marked-block', marker: AGENT_CONFIG_MARKER, commentPrefix: '#' };

/** `kaspersky_cyberTrace=/etc/ossim/agent/plugins/kaspersky_cyberTrace.cfg|utf-8` */
export const PLUGIN_ENTRY = `${SENSOR_PLUGIN_NAME}=${PLUGIN_DIR}/${PLUGIN_FILE}|${PLUGIN_ENCODING}`;

/** The block merged at the end of config.cfg. */
export function agentPluginsBlock(): string {
  return [
    '# Kaspersky CyberTrace plugin, read as UTF-8 (without "|utf-8" the agent reads latin1,',
    '# garbles non-ASCII contexts and cuts events at byte 0x85). The repeated [plugins] header',
    '# continues that section and this later value wins over one written above.',
    '[plugins]',
    PLUGIN_ENTRY,
    '',
  ].join('\n');
}
