/** Small text helpers shared by the core and the connectors. */

/** `text` as a regular expression that matches it literally (JavaScript, PCRE and Python `re` alike). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
