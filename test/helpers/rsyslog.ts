/** A real rsyslogd for tests: TCP input on a random loopback port, temporary work folder, stopped by stop(). */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';

/** Global part of a test configuration: a TCP input, as on an appliance receiving syslog. */
export const rsyslogHeader = (work: string, port = 10514) =>
  `global(workDirectory="${work}")\nmodule(load="imtcp")\ninput(type="imtcp" port="${port}" address="127.0.0.1")\n`;

export interface RunningRsyslog {
  port: number;
  /** Sends one LF-terminated line over TCP from `from` (a 127.x address standing in for a host). */
  send(from: string, line: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts rsyslogd -n with `rules` after a header that listens on `port` (give a free one). */
export async function startRsyslog(dir: string, port: number, rules: string, confName = 'rsyslog.conf'): Promise<RunningRsyslog> {
  const { writeFileSync } = await import('node:fs');
  const conf = join(dir, confName);
  writeFileSync(conf, `${rsyslogHeader(dir, port)}${rules}`);
  const proc: ChildProcess = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(dir, `${confName}.pid`)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  proc.stdout!.on('data', (d) => (err += d));
  const probeOnce = () =>
    new Promise<boolean>((resolve) => {
      const c = connect({ host: '127.0.0.1', port }, () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
  let listening = false;
  for (let i = 0; i < 200 && !listening && proc.exitCode === null; i++) {
    listening = await probeOnce();
    if (!listening) await new Promise((r) => setTimeout(r, 50));
  }
  if (!listening) {
    proc.kill('SIGKILL');
    throw new Error(`rsyslogd did not start listening on ${port}: ${err}`);
  }
  return {
    port,
    send: (from, line) =>
      new Promise<void>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, localAddress: from }, () => s.end(`${line}\n`, () => resolve()));
        s.on('error', reject);
      }),
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

export async function waitFor(cond: () => boolean, what: string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
