/**
 * Reads a record context back into pairs, with the parser derived from the same
 * RecordFieldContextFormat CyberTrace uses to write it. For formats whose pairs are separated by
 * whitespace (`%ParamName%:%ParamValue% `, ` %ParamName%=%ParamValue%`): a pair starts at a
 * name (letter or `_`, then word characters, `.`, `-`) followed by the separator; a value runs to
 * the next pair, so values may hold spaces. Formats of other shapes have their own parsers.
 */
import { escapeRegExp } from '../kernel/text.js';
import { InternalError } from '../kernel/errors.js';

export type ContextParser = (text: string) => Array<[string, string]>;

export function contextPairsParser(recordFieldContextFormat: string): ContextParser {
  const m = /^(\s*)%ParamName%(\S+?)%ParamValue%(\s*)$/.exec(recordFieldContextFormat);
  if (!m || (m[1] === '' && m[3] === '')) {
    throw new InternalError(`RecordFieldContextFormat ${JSON.stringify(recordFieldContextFormat)} does not separate its pairs by whitespace`);
  }
  const start = new RegExp(`(?:^|\\s)([A-Za-z_][A-Za-z0-9_.-]*)${escapeRegExp(m[2])}`, 'g');
  return (text) => {
    const starts = [...text.matchAll(start)];
    return starts.map((s, i) => {
      const valueStart = s.index + s[0].length;
      const valueEnd = i + 1 < starts.length ? starts[i + 1].index : text.length;
      return [s[1], text.slice(valueStart, valueEnd).trim()];
    });
  };
}
