/**
 * Host-key verification. ssh2 accepts every host key unless told otherwise (the ssh2 documentation), so the
 * decision is made here: against a pinned SHA256 fingerprint, or against an OpenSSH known_hosts
 * file (plain and hashed `|1|salt|hash` entries, `[host]:port` names, wildcards, @revoked).
 */
import { createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { DeployFailure } from './types.js';
import { dirname } from 'node:path';
import { sha256 } from '../kernel/hash.js';

export interface KnownHostEntry {
  line: number;
  marker?: '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  key: Buffer;
}

export type HostKeyVerdict =
  | { status: 'match'; how: string }
  | { status: 'unknown' }
  | { status: 'changed'; expected: Array<{ keyType: string; fingerprint: string; where: string }> }
  | { status: 'revoked'; where: string };

/** `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints it. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${sha256(keyBlob, 'base64').replace(/=+$/, '')}`;
}

/** The algorithm name at the start of an SSH public-key blob (`ssh-ed25519`, `ssh-rsa`, …). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  return len > 0 && len < 64 && keyBlob.length >= 4 + len ? keyBlob.subarray(4, 4 + len).toString('latin1') : 'unknown';
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (parts[0] === '@revoked' || parts[0] === '@cert-authority') marker = parts.shift() as KnownHostEntry['marker'];
    else if (parts[0].startsWith('@')) return;
    const [patterns, keyType, b64] = parts;
    if (!patterns || !keyType || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) return;
    entries.push({ line: i + 1, marker, patterns, keyType, key: Buffer.from(b64, 'base64') });
  });
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function hashedMatches(pattern: string, name: string): boolean {
  const m = /^\|1\|([^|]+)\|([^|]+)$/.exec(pattern);
  if (!m) return false;
  const digest = createHmac('sha1', Buffer.from(m[1], 'base64')).update(name).digest('base64');
  return digest === m[2];
}

/** Whether a known_hosts host field (comma list, `!negation`, wildcards or one hashed name) names this host. */
export function patternsMatch(patterns: string, host: string, port: number): boolean {
  const name = knownHostName(host, port);
  if (patterns.startsWith('|1|')) return hashedMatches(patterns, name);
  let matched = false;
  for (const p of patterns.split(',')) {
    const negated = p.startsWith('!');
    const pat = negated ? p.slice(1) : p;
    if (globToRegExp(pat).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export function verifyAgainstKnownHosts(entries: KnownHostEntry[], host: string, port: number, keyBlob: Buffer, file: string): HostKeyVerdict {
  const mine = entries.filter((e) => e.marker !== '@cert-authority' && patternsMatch(e.patterns, host, port));
  const revoked = mine.find((e) => e.marker === '@revoked' && e.key.equals(keyBlob));
  if (revoked) return { status: 'revoked', where: `${file}:${revoked.line}` };
  const plain = mine.filter((e) => e.marker === undefined);
  const hit = plain.find((e) => e.key.equals(keyBlob));
  if (hit) return { status: 'match', how: `${file}:${hit.line}` };
  // Any other key on record for this host (of whatever type) means the host is not what it was.
  if (plain.length > 0) {
    return {
      status: 'changed',
      expected: plain.map((e) => ({ keyType: e.keyType, fingerprint: fingerprintOf(e.key), where: `${file}:${e.line}` })),
    };
  }
  return { status: 'unknown' };
}

export function verifyPinned(pinned: string, keyBlob: Buffer, where: string): HostKeyVerdict {
  const want = pinned.startsWith('SHA256:') ? pinned : `SHA256:${pinned}`;
  const got = fingerprintOf(keyBlob);
  if (want.replace(/=+$/, '') === got) return { status: 'match', how: `pinned fingerprint (${where})` };
  return { status: 'changed', expected: [{ keyType: 'pinned', fingerprint: want.replace(/=+$/, ''), where }] };
}

/** A known_hosts path that is not a readable file is the user's to fix (a folder, no permission …), not a crash. */
function knownHostsFailure(file: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === undefined) return e;
  const why = code === 'EISDIR' ? 'is a folder, not a file' : code === 'EACCES' ? 'permission denied' : code;
  return new DeployFailure(`known_hosts ${file}: ${why}`, ['set targets[].known_hosts to the path of a known_hosts file (it is created if missing)']);
}

export function readKnownHosts(file: string): KnownHostEntry[] {
  if (!existsSync(file)) return [];
  try {
    return parseKnownHosts(readFileSync(file, 'utf8'));
  } catch (e) {
    throw knownHostsFailure(file, e);
  }
}

/** Appends the key as a plain `[host]:port type key` line; the file and its folder are created private if missing. */
export function appendKnownHost(file: string, host: string, port: number, keyBlob: Buffer): void {
  try {
    const dir = dirname(file);
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    let prefix = '';
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      if (text !== '' && !text.endsWith('\n')) prefix = '\n';
    }
    appendFileSync(file, `${prefix}${knownHostName(host, port)} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
  } catch (e) {
    throw knownHostsFailure(file, e);
  }
}

const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Host-key algorithms in the order to offer them: the types already on record for this host
 * first (as OpenSSH does), so a host known by its RSA key is not asked for its Ed25519 key.
 */
export function hostKeyAlgorithmOrder(knownTypes: string[]): string[] {
  const first: string[] = [];
  for (const t of knownTypes) {
    const algos = t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t];
    for (const a of algos) if ((DEFAULT_HOST_KEY_ALGORITHMS.includes(a) || a === 'ssh-dss') && !first.includes(a)) first.push(a);
  }
  return [...first, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}
