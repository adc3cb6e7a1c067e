/**
 * Consistency of one connector's CyberTrace settings: every %NAME% in the formats is either a
 * service placeholder or a regexp of the input settings, and every feed rename points at a
 * regexp that exists. A connector that breaks this is a bug, so it fails the build of the bundle.
 */
import { BUILTIN_PLACEHOLDERS } from './event-contract.js';
import { placeholdersOf } from './render-event.js';
import type { CyberTraceSettings } from '../model/cybertrace.js';

export function settingsProblems(s: CyberTraceSettings): string[] {
  const problems: string[] = [];
  const names = new Set(s.input.regexps.map((r) => r.name));
  if (names.size !== s.input.regexps.length) problems.push('two regexps have the same name');
  for (const r of s.input.regexps) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(r.name)) problems.push(`regexp name "${r.name}" is not a valid element name`);
  }
  const formats: Array<[string, string | undefined]> = [
    ['EventFormat', s.output.eventFormat],
    ['AlertFormat', s.output.alertFormat],
  ];
  for (const [label, f] of formats) {
    if (f === undefined) continue;
    for (const p of placeholdersOf(f)) {
      if (!BUILTIN_PLACEHOLDERS.has(p) && !names.has(p)) problems.push(`${label} uses %${p}%, which is neither a service placeholder nor a regexp name`);
    }
  }
  for (const [from, to] of Object.entries(s.feedFieldRenames)) {
    if (!names.has(to)) problems.push(`feed rename ${from} → ${to}: no regexp named ${to}`);
  }
  return problems;
}
