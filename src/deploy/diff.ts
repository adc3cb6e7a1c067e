/**
 * Unified diffs for --diff, with secrets redacted: values of keys that name a password, secret or
 * token (key=value, key: value, JSON, XML elements), and any known secret value wherever it is.
 * The diff is made first and redacted after, so a changed secret still shows as a changed line.
 */
import { createTwoFilesPatch } from 'diff';

export const REDACTED = '********';

/**
 * A password-like word, not inside a longer lowercase word: "db_pass", "sudoPassword", "API_TOKEN"
 * count; "bypass" and "Passthrough" do not.
 */
const SECRET_WORD =
  /(?:(?<![A-Za-z])(?:pass(?:wd|word|phrase)?|secret|token)|(?:Pass(?:wd|word|phrase)?|Secret|Token)|(?<![A-Za-z])(?:PASS(?:WD|WORD|PHRASE)?|SECRET|TOKEN))(?![a-z])/;
const XML_ELEMENT_SOURCE = `(<([\\w:.-]*${SECRET_WORD.source}[\\w:.-]*)(?:\\s[^>]*)?>)[^<]*(</\\2>)`;
const KEY_VALUE = new RegExp(`^(.*?[\\w.-]*${SECRET_WORD.source}[\\w.-]*["']?\\s*[:=]\\s*)(\\S.*)$`);
const AFTER_WORD = new RegExp(`(${SECRET_WORD.source}\\W+)(\\S.*)$`);

export function redactLine(line: string, secrets: readonly string[] = []): string {
  let out = line;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join(REDACTED);
  if (!SECRET_WORD.test(out)) return out;
  if (new RegExp(XML_ELEMENT_SOURCE).test(out)) return out.replace(new RegExp(XML_ELEMENT_SOURCE, 'g'), `$1${REDACTED}$3`);
  const kv = KEY_VALUE.exec(out);
  if (kv) return kv[1] + REDACTED;
  const after = AFTER_WORD.exec(out);
  if (after) return out.slice(0, after.index) + after[1] + REDACTED;
  return out;
}

const isBinary = (b: Buffer): boolean => b.subarray(0, 8000).includes(0);

/** A unified diff old → new of one file (empty string when equal), secrets redacted. */
export function redactedDiff(path: string, oldContent: Buffer | undefined, newContent: Buffer, secrets: readonly string[] = []): string {
  if ((oldContent && isBinary(oldContent)) || isBinary(newContent)) {
    return oldContent?.equals(newContent) ? '' : `Binary file ${path} differs\n`;
  }
  const before = oldContent?.toString('utf8') ?? '';
  const after = newContent.toString('utf8');
  if (before === after && oldContent !== undefined) return '';
  const patch = createTwoFilesPatch(oldContent ? `${path} (target)` : '/dev/null', `${path} (bundle)`, before, after, undefined, undefined, { context: 3 });
  return patch
    .split('\n')
    .filter((l) => !/^={5,}$/.test(l))
    .map((l) => (/^[ +-]/.test(l) && !/^(---|\+\+\+) /.test(l) ? l[0] + redactLine(l.slice(1), secrets) : l))
    .join('\n');
}
