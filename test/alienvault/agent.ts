/** Runs ossim_agent_rules.py (the agent's way of reading a plugin) with python3 on a plugin text and log lines. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'ossim_agent_rules.py');

export interface AgentResult {
  section: string | null;
  attributes?: Record<string, string>;
  dropped?: string;
}

export function runAgent(cfgText: string, lines: string[]): { code: number; stderr: string; results: AgentResult[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ctconnect-agent-'));
  try {
    const cfg = join(dir, 'plugin.cfg');
    writeFileSync(cfg, cfgText, 'latin1');
    const r = spawnSync('python3', [SCRIPT, cfg], { input: lines.join('\n') + '\n', encoding: 'utf8', timeout: 30_000 });
    if (r.error) throw r.error;
    const results = r.status === 0 ? r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AgentResult) : [];
    return { code: r.status ?? -1, stderr: r.stderr, results };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
