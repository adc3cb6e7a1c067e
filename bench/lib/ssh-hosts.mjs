// SSH hosts for the deploy benches: real sshd processes on 127.0.0.1, each with its own host key and
// an empty HOME (the login shell then reads no rc file of this machine's user, which would be timed
// too), each behind a delay proxy (./delay-proxy.mjs) when `rtt` > 0. One client key logs in to all.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { startDelayProxy } from './delay-proxy.mjs';

const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

const banner = (port) =>
  new Promise((res, rej) => {
    const deadline = Date.now() + 15000;
    const tryOnce = () => {
      const c = connect(port, '127.0.0.1');
      c.once('data', () => (c.destroy(), res()));
      c.once('error', () => (c.destroy(), Date.now() > deadline ? rej(new Error(`sshd ${port} silent`)) : setTimeout(tryOnce, 100)));
    };
    tryOnce();
  });

/**
 * Starts `count` hosts below `work`. Resolves to { hosts, clientKey, knownHosts, stop() }; each host has
 * `port` (through the proxy when there is one) and `direct` (sshd itself); known_hosts lists both.
 */
export async function startSshHosts(work, count, rtt) {
  const keygen = (name) => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(work, name)]);
    return readFileSync(join(work, `${name}.pub`), 'utf8').trim();
  };
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  mkdirSync(join(work, 'home'), { recursive: true });
  writeFileSync(join(work, 'authorized_keys'), `${keygen('client')}\n`);
  const hosts = [];
  try {
    for (let i = 0; i < count; i++) {
      const hostPub = keygen(`host${i}`);
      const port = await freePort();
      const cfg = join(work, `sshd${i}.conf`);
      writeFileSync(
        cfg,
        [
          `Port ${port}`,
          'ListenAddress 127.0.0.1',
          `HostKey ${join(work, `host${i}`)}`,
          `PidFile ${join(work, `sshd${i}.pid`)}`,
          `AuthorizedKeysFile ${join(work, 'authorized_keys')}`,
          'StrictModes no',
          'UsePAM no',
          'PermitRootLogin yes',
          'PasswordAuthentication no',
          'Subsystem sftp internal-sftp',
          'LogLevel ERROR',
          'MaxSessions 64',
          `SetEnv HOME=${join(work, 'home')}`,
          '',
        ].join('\n'),
      );
      const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { stdio: 'ignore' });
      hosts.push({ proc });
      await banner(port);
      const proxy = rtt > 0 ? await startDelayProxy(port, rtt / 2) : undefined;
      const [type, key] = hostPub.split(' ');
      const via = proxy?.port ?? port;
      Object.assign(hosts[i], { port: via, direct: port, proxy, known: `[127.0.0.1]:${via} ${type} ${key}\n[127.0.0.1]:${port} ${type} ${key}` });
    }
  } catch (e) {
    for (const h of hosts) h.proc.kill('SIGTERM');
    throw e;
  }
  const knownHosts = join(work, 'known_hosts');
  writeFileSync(knownHosts, hosts.map((h) => h.known).join('\n') + '\n');
  return {
    hosts,
    clientKey: join(work, 'client'),
    knownHosts,
    stop: async () => {
      for (const h of hosts) {
        h.proc.kill('SIGTERM');
        await h.proxy?.close();
      }
    },
  };
}
