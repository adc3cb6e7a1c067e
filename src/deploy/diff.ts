/**
 * Unified diffs for --diff, with secrets redacted by structure (src/kernel/redact.ts): the diff is
 * made on the real contents and shown redacted line by line, so a changed secret still shows as a
 * changed line.
 */
import { redactedUnifiedDiff } from '../kernel/redact.js';

const isBinary = (b: Buffer): boolean => b.subarray(0, 8000).includes(0);

/** A unified diff old → new of one file (empty string when equal), secrets redacted. */
export function redactedDiff(path: string, oldContent: Buffer | undefined, newContent: Buffer, secrets: readonly string[] = []): string {
  if ((oldContent && isBinary(oldContent)) || isBinary(newContent)) {
    return oldContent?.equals(newContent) ? '' : `Binary file ${path} differs\n`;
  }
  const before = oldContent?.toString('utf8') ?? '';
  const after = newContent.toString('utf8');
  if (before === after && oldContent !== undefined) return '';
  return redactedUnifiedDiff(oldContent ? `${path} (target)` : '/dev/null', `${path} (bundle)`, before, after, secrets);
}
