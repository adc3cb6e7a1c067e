/**
 * Opens the SSH connection to one target, verifying its host key first (host-keys.ts).
 * Every failure becomes a DeployFailure that says what to fix: refused key (with both
 * fingerprints), unreachable host, time-out, rejected credentials.
 */
// ssh2 is CommonJS: under Node's ESM loader only its default export is reliable.
import ssh2, { type Client, type ConnectConfig } from 'ssh2';
import type { DeployTarget } from '../model/site.js';
import {
  appendKnownHost,
  fingerprintOf,
  hostKeyAlgorithmOrder,
  keyTypeOf,
  knownHostName,
  patternsMatch,
  readKnownHosts,
  verifyAgainstKnownHosts,
  verifyPinned,
  type HostKeyVerdict,
} from './host-keys.js';
import type { RoundTrips } from './exec.js';
import type { TargetSecrets } from './secrets.js';
import { expandHome } from './secrets.js';
import { ConnectionLost, DeployFailure } from './types.js';

export interface Connection extends RoundTrips {
  client: Client;
  /** How the host key was accepted, for the report. */
  hostKey: string;
  close(): void;
  /**
   * Rejects with ConnectionLost once the connection is gone (dropped, reset, closed by the host);
   * never resolves. Every remote operation races it, so none can wait forever on a dead link.
   */
  lost: Promise<never>;
  /** Why the connection is gone; undefined while it is up. */
  lostReason(): string | undefined;
}

export interface ConnectOptions {
  /** false under --check: an accepted new key is used for this run but not written to known_hosts. */
  writeKnownHosts: boolean;
}

export function knownHostsFileOf(target: DeployTarget): string {
  return expandHome(target.known_hosts ?? '~/.ssh/known_hosts');
}

function refusal(target: DeployTarget, verdict: HostKeyVerdict, keyBlob: Buffer, file: string): DeployFailure {
  const offered = `${keyTypeOf(keyBlob)} ${fingerprintOf(keyBlob)}`;
  const name = knownHostName(target.host, target.port);
  switch (verdict.status) {
    case 'changed':
      return new DeployFailure(`host key of ${name} has CHANGED: refusing to connect (this may be an attack, or the host was reinstalled)`, [
        `the host offered:  ${offered}`,
        ...verdict.expected.map((e) => `expected (${e.where}): ${e.keyType === 'pinned' ? '' : `${e.keyType} `}${e.fingerprint}`),
        'if the change is legitimate, remove the old entry (ssh-keygen -R) or update host_key_sha256, after checking the new fingerprint out of band',
      ]);
    case 'revoked':
      return new DeployFailure(`host key of ${name} is marked @revoked in ${verdict.where}: refusing to connect`, [`the host offered: ${offered}`]);
    default:
      return new DeployFailure(`host key of ${name} is unknown: refusing to connect`, [
        `the host offered: ${offered}`,
        `not found in ${file}`,
        `check the fingerprint out of band (on the host: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then pin it with host_key_sha256, add it to ${file}, or set accept_new_host_key: true for the first deploy`,
      ]);
  }
}

/** Unanswered keep-alives after which a connection is given up. */
export const KEEPALIVE_COUNT_MAX = 3;
/** Keep-alive period: the silence after which a connection is given up is (count + 1) periods, about connect_timeout_sec. */
export const keepaliveIntervalMs = (connectTimeoutSec: number): number => Math.max(250, Math.ceil((connectTimeoutSec * 1000) / (KEEPALIVE_COUNT_MAX + 1)));

export function connect(target: DeployTarget, secrets: TargetSecrets, opts: ConnectOptions): Promise<Connection> {
  const file = knownHostsFileOf(target);
  const entries = target.host_key_sha256 ? [] : readKnownHosts(file);
  const knownTypes = entries.filter((e) => e.marker === undefined && patternsMatch(e.patterns, target.host, target.port)).map((e) => e.keyType);
  let hostKeyNote = '';
  let refused: DeployFailure | undefined;

  const hostVerifier = (keyBlob: Buffer): boolean => {
    const verdict = target.host_key_sha256
      ? verifyPinned(target.host_key_sha256, keyBlob, `targets.${target.name}.host_key_sha256`)
      : verifyAgainstKnownHosts(entries, target.host, target.port, keyBlob, file);
    if (verdict.status === 'match') {
      hostKeyNote = `${keyTypeOf(keyBlob)} ${fingerprintOf(keyBlob)} (${verdict.how})`;
      return true;
    }
    if (verdict.status === 'unknown' && target.accept_new_host_key && !target.host_key_sha256) {
      if (opts.writeKnownHosts) {
        appendKnownHost(file, target.host, target.port, keyBlob);
        hostKeyNote = `${keyTypeOf(keyBlob)} ${fingerprintOf(keyBlob)} (new key accepted and added to ${file})`;
      } else {
        hostKeyNote = `${keyTypeOf(keyBlob)} ${fingerprintOf(keyBlob)} (new key accepted for this check only; ${file} not written)`;
      }
      return true;
    }
    refused = refusal(target, verdict, keyBlob, file);
    return false;
  };

  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.user,
    readyTimeout: target.connect_timeout_sec * 1000,
    // A host that stops answering (a blackholed link: no reset, no close) is noticed within about
    // connect_timeout_sec: a keep-alive goes out after a quarter of it without traffic, and the
    // connection is given up after three unanswered (sshd answers them while a command runs).
    keepaliveInterval: keepaliveIntervalMs(target.connect_timeout_sec),
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    hostVerifier,
    algorithms: { serverHostKey: hostKeyAlgorithmOrder(knownTypes) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
  };
  if (secrets.privateKey) {
    config.privateKey = secrets.privateKey;
    if (secrets.keyPassphrase !== undefined) config.passphrase = secrets.keyPassphrase;
  }
  if (target.use_agent) config.agent = process.env.SSH_AUTH_SOCK;
  if (secrets.loginPassword !== undefined) config.password = secrets.loginPassword;

  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let done = false;
    const where = `${target.user}@${target.host}:${target.port}`;
    let lostReason: string | undefined;
    let closing = false;
    let markLost: (reason: string) => void = () => undefined;
    const lost = new Promise<never>((_, rej) => {
      markLost = (reason) => {
        if (lostReason !== undefined) return;
        lostReason = reason;
        rej(new ConnectionLost(`${where}: connection lost (${reason})`));
      };
    });
    lost.catch(() => undefined);
    client.on('ready', () => {
      done = true;
      // Every request is a small write waiting for its answer: Nagle's algorithm would hold each back
      // for the peer's delayed ACK.
      client.setNoDelay(true);
      resolve({
        client,
        hostKey: hostKeyNote,
        roundTrips: 0,
        close: () => {
          closing = true;
          markLost('closed by ctconnect');
          client.end();
        },
        lost,
        lostReason: () => lostReason,
      });
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (done) {
        if (!closing) markLost(err.message);
        return;
      }
      done = true;
      client.end();
      if (refused) return reject(refused);
      const code = err.code ?? '';
      if (code === 'ECONNREFUSED') return reject(new DeployFailure(`${where}: connection refused (is sshd running and the port right?)`));
      if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return reject(new DeployFailure(`${where}: host unreachable (${code})`));
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return reject(new DeployFailure(`${where}: cannot resolve host name ${target.host}`));
      if (code === 'ETIMEDOUT' || err.level === 'client-timeout') {
        return reject(new DeployFailure(`${where}: timed out after ${target.connect_timeout_sec} s waiting for the SSH handshake (connect_timeout_sec)`));
      }
      if (err.level === 'client-authentication') {
        const tried = [secrets.privateKey && 'key', target.use_agent && 'agent', secrets.loginPassword !== undefined && 'password'].filter(Boolean).join(', ');
        return reject(
          new DeployFailure(`${where}: authentication failed (tried: ${tried || 'none'})`, [
            'check user, identity_file / use_agent / password_env of this target',
          ]),
        );
      }
      reject(new DeployFailure(`${where}: SSH connection failed: ${err.message}`));
    });
    client.on('close', () => {
      if (done) {
        if (!closing) markLost('closed by the host or the network');
        return;
      }
      done = true;
      reject(refused ?? new DeployFailure(`${where}: the connection closed during the handshake`));
    });
    try {
      client.connect(config);
    } catch (e) {
      done = true;
      reject(new DeployFailure(`${where}: ${(e as Error).message}`));
    }
  });
}
