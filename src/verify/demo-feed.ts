/** A small demo feed of the documented test indicators, for the CyberTrace test server. */
import { VERIFICATION_INDICATORS } from '../cybertrace/indicators.js';
import type { FeedEntry } from '../cybertrace/server.js';

/**
 * Every test indicator with its expected category, in each form a regexp may extract it (URL masks
 * also match the bare host, as URL records do). The context carries a quote, as feed records may.
 */
export function demoFeed(): Record<string, FeedEntry> {
  const feed: Record<string, FeedEntry> = {};
  for (const ind of VERIFICATION_INDICATORS) {
    const entry: FeedEntry = {
      category: ind.category,
      context: [
        ['first_seen', '10.07.2015 23:53'],
        ['popularity', '5'],
        ['mask', ind.value],
        ['note', 'seen in "invoice" mail'],
      ],
    };
    const bare = ind.value.replace(/^https?:\/\//, '');
    const host = bare.replace(/[/?#].*$/, '');
    for (const v of new Set([ind.value, bare, bare.replace(/\/$/, ''), `${bare.replace(/\/$/, '')}/`, ...(ind.type === 'url' ? [host] : [])])) feed[v] = entry;
  }
  return feed;
}
