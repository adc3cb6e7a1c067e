/**
 * Real OpenSSH servers for the deploy tests: `/usr/sbin/sshd -D -e -f <temp config>` on 127.0.0.1
 * and a free port, with a temporary host key and authorized key. Tests run as root, so sshd can
 * start unprivileged-port-free; stop() ends the process and removes its folder.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';

export const SSHD = '/usr/sbin/sshd';

export interface KeyPair {
  privateKeyFile: string;
  publicKeyLine: string;
  /** The SSH wire-format public key. */
  blob: Buffer;
}

/** ssh-keygen into `dir/name` (+ .pub). */
export function makeKeyPair(dir: string, name: string, type: 'ed25519' | 'rsa' | 'ecdsa' = 'ed25519', passphrase = ''): KeyPair {
  const file = join(dir, name);
  const args = ['-q', '-t', type, '-N', passphrase, '-C', `ctconnect-test-${name}`, '-f', file];
  if (type === 'rsa') args.splice(2, 0, '-b', '2048');
  execFileSync('ssh-keygen', args, { stdio: 'pipe' });
  const publicKeyLine = readFileSync(`${file}.pub`, 'utf8').trim();
  return { privateKeyFile: file, publicKeyLine, blob: Buffer.from(publicKeyLine.split(/\s+/)[1], 'base64') };
}

/** Resolves once the port answers with an SSH banner. */
function waitForBanner(port: number, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = netConnect(port, '127.0.0.1');
      let buf = '';
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        if (buf.startsWith('SSH-')) {
          sock.destroy();
          resolve();
        }
      });
      sock.on('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd on port ${port} did not answer`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export interface SshServer {
  host: string;
  port: number;
  dir: string;
  hostKey: KeyPair;
  /** A known_hosts line for this server: `[127.0.0.1]:port type key`. */
  knownHostsLine: string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Public key lines allowed to log in (any user). */
  authorizedKeys: string[];
  hostKeyType?: 'ed25519' | 'rsa' | 'ecdsa';
  /** Allow password logins (UsePAM no: checked against /etc/shadow). */
  passwordAuthentication?: boolean;
}

export async function startSshd(opts: SshdOptions): Promise<SshServer> {
  // sshd refuses to start without its privilege-separation folder.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'ctc-sshd-'));
  // Logged-in users other than root must be able to read authorized_keys.
  chmodSync(dir, 0o755);
  const hostKey = makeKeyPair(dir, 'host_key', opts.hostKeyType ?? 'ed25519');
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, opts.authorizedKeys.join('\n') + '\n', { mode: 0o644 });
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey.privateKeyFile}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorized}`,
        'StrictModes no',
        'UsePAM no',
        'PermitRootLogin yes',
        `PasswordAuthentication ${opts.passwordAuthentication ? 'yes' : 'no'}`,
        'KbdInteractiveAuthentication no',
        'Subsystem sftp internal-sftp',
        'MaxSessions 64',
        'MaxStartups 64',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const proc: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    try {
      await Promise.race([
        waitForBanner(port, Date.now() + 15_000),
        exited.then(() => {
          throw new Error(`sshd exited: ${stderr.trim()}`);
        }),
      ]);
    } catch (e) {
      proc.kill('SIGKILL');
      if (tries < 3 && /Address already in use|Bind to port/i.test(stderr)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const [type, key] = hostKey.publicKeyLine.split(/\s+/);
    return {
      host: '127.0.0.1',
      port,
      dir,
      hostKey,
      knownHostsLine: `[127.0.0.1]:${port} ${type} ${key}`,
      stop: async () => {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGTERM');
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
