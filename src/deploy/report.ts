/**
 * What the user reads after a deploy: per-host details (changed files, backups, diffs, steps,
 * failures with command output, rollback), a summary table, or one JSON document for scripts.
 */
import Table from 'cli-table3';
import type { HostResult } from './types.js';

export interface Summary {
  ok: number;
  changed: number;
  failed: number;
  /** Hosts where rollback could not put every file back: they need a look by hand. */
  notRestored: number;
}

export function summarize(hosts: HostResult[]): Summary {
  return {
    ok: hosts.filter((h) => h.status === 'ok').length,
    changed: hosts.filter((h) => h.status === 'changed').length,
    failed: hosts.filter((h) => h.status === 'failed').length,
    notRestored: hosts.filter((h) => (h.rollback?.notRestored.length ?? 0) > 0).length,
  };
}

/**
 * Exit codes: 0 every host ok or changed; 1 at least one host failed and was left as it was
 * (or restored); 3 at least one host failed and could not be fully restored.
 */
export function exitCodeOf(hosts: HostResult[]): number {
  const s = summarize(hosts);
  if (s.notRestored > 0) return 3;
  return s.failed > 0 ? 1 : 0;
}

export function toJson(siem: string, check: boolean, hosts: HostResult[]): string {
  // Machine output format, like every --json of the CLI (schema: schemas/deploy.schema.json).
  return JSON.stringify({ format: 'ctconnect.deploy/1', siem, check, summary: summarize(hosts), exitCode: exitCodeOf(hosts), hosts }, null, 2) + '\n';
}

const indent = (lines: string[], by = '    '): string[] => lines.map((l) => by + l);

/** A list of paths kept to one line: the first two, then how many more (a Splunk app has dozens of files). */
export function fewPaths(paths: string[]): string {
  return paths.length <= 2 ? paths.join(', ') : `${paths.slice(0, 2).join(', ')} and ${paths.length - 2} more`;
}

function outputBlock(o: { command: string; exitCode: number | null; timedOut: boolean; stdout: string; stderr: string }): string[] {
  const lines = [`$ ${o.command}   (${o.timedOut ? 'killed: time limit' : `exit ${o.exitCode ?? 'by signal'}`})`];
  for (const [name, text] of [
    ['stdout', o.stdout],
    ['stderr', o.stderr],
  ] as const) {
    const t = text.replace(/\s+$/, '');
    if (t !== '') lines.push(...t.split('\n').map((l) => `${name}| ${l}`));
  }
  return lines;
}

/** The readable account of one host. */
export function hostDetails(h: HostResult): string {
  const out: string[] = [`== ${h.target} (${h.address}): ${h.check && h.status === 'changed' ? 'would change' : h.status}`];
  if (h.hostKey) out.push(`  host key: ${h.hostKey}`);
  if (h.error) {
    out.push(`  FAILED: ${h.error.message}`);
    out.push(...indent(h.error.details));
  }
  for (const n of h.notes ?? []) out.push(`  note: ${n}`);
  for (const f of h.files) {
    const leftovers = (f.leftoversRemoved ?? []).map((l) => `            ${h.check ? 'would remove' : 'removed'} temp file of an interrupted run: ${l}`);
    if (f.status === 'unchanged' && !f.diff) {
      out.push(`  ok        ${f.path}`, ...leftovers);
      continue;
    }
    const label = f.status.padEnd(9);
    out.push(`  ${label} ${f.path}${f.reasons.length ? ` (${f.reasons.join(', ')})` : ''}`);
    out.push(...leftovers);
    if (f.backup) out.push(`            backup: ${f.backup}`);
    if (f.validate && (f.status === 'failed' || f.validate.exitCode !== 0)) out.push(...indent(outputBlock(f.validate), '            '));
    if (f.error && f.status !== 'failed') out.push(...indent(f.error.split('\n'), '            '));
    if (f.diff) out.push(...indent(f.diff.replace(/\n$/, '').split('\n'), '            '));
  }
  for (const s of h.steps) {
    if (s.status === 'not-needed') {
      out.push(`  step ${s.id}: not needed (nothing it depends on changed)`);
      continue;
    }
    const why = [
      s.because.length ? `because of ${s.because.join(', ')}` : '',
      s.pendingFrom?.length ? `pending since an earlier deploy changed ${fewPaths(s.pendingFrom)}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    out.push(`  step ${s.id}: ${s.status}${why ? ` (${why})` : ''}`);
    if (s.status === 'skipped' && s.command) out.push(`      not run, pending on the host until a deploy runs steps: $ ${s.command}`);
    if (s.status === 'may-have-run') out.push('      the connection was lost while it ran: it may have run; it stays pending and the next deploy runs it');
    if (s.status === 'not-reached' && h.error && /^interrupted: steps not run/.test(h.error.message))
      out.push('      not run (interrupted); pending on the host: the next deploy runs it');
    if (s.output && s.status === 'failed') out.push(...indent(outputBlock(s.output), '      '));
  }
  const rb = h.rollback;
  if (rb) {
    out.push('  rollback:');
    for (const p of rb.restored) out.push(`    restored from backup: ${p}`);
    for (const p of rb.removed) out.push(`    removed (was new): ${p}`);
    for (const p of rb.tempRemoved) out.push(`    temp file removed: ${p}`);
    for (const n of rb.notRestored) out.push(`    NOT RESTORED: ${n.path}: ${n.error}`);
    for (const n of rb.left) out.push(`    not put back: ${n.path}: ${n.reason}`);
    if (rb.stepsAlreadyRun.length) out.push(`    these steps had already run with the new files; check the services: ${rb.stepsAlreadyRun.join(', ')}`);
    if (rb.restored.length + rb.removed.length + rb.notRestored.length + rb.left.length === 0) out.push('    nothing had been replaced yet');
  }
  return out.join('\n') + '\n';
}

/** Column widths of the summary table; `fit` may narrow them to the terminal (the CLI passes one). */
const SUMMARY_WIDTHS = [16, 26, 14, 9, 34, 44];

export function summaryTable(hosts: HostResult[], check: boolean, fit: (widths: number[]) => number[] = (w) => w): string {
  const table = new Table({
    head: ['target', 'address', 'result', 'files changed', 'steps run', 'note'],
    style: { head: [], border: [] },
    wordWrap: true,
    colWidths: fit(SUMMARY_WIDTHS),
  });
  for (const h of hosts) {
    const changedFiles = h.files.filter((f) => ['changed', 'would-change', 'rolled-back'].includes(f.status)).length;
    const stepsRun = h.steps.filter((s) => s.status === 'ran' || s.status === 'would-run').map((s) => s.id);
    const result = h.status === 'changed' && check ? 'would change' : h.status;
    let note = '';
    if (h.error) note = h.error.message;
    if (h.rollback) {
      const restored = h.rollback.restored.length + h.rollback.removed.length;
      note += ` [rolled back ${restored} file${restored === 1 ? '' : 's'}${h.rollback.notRestored.length ? `, ${h.rollback.notRestored.length} NOT restored` : ''}]`;
    }
    table.push([h.target, h.address, result, `${changedFiles}/${h.files.length}`, stepsRun.join(', ') || '-', note.trim() || '-']);
  }
  const s = summarize(hosts);
  return `${table.toString()}\n${check ? 'check only, nothing written: ' : ''}${s.ok} ok, ${s.changed} ${check ? 'would change' : 'changed'}, ${s.failed} failed\n`;
}
