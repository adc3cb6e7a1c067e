/**
 * A connection that goes silent — no reset, no close, as when a link is blackholed — is noticed
 * within about connect_timeout_sec (the SSH keep-alive it sets), not after a fixed minute. Through a
 * proxy on 127.0.0.1 in front of a real sshd that stops forwarding in both directions.
 */
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/deploy/connect.js';
import type { DeployTarget } from '../../src/model/site.js';
import { makeKeyPair, startSshd, type KeyPair, type SshServer } from '../helpers/sshd.js';

/** Forwards to `port` until stall(): then every byte either way is dropped and the sockets stay open. */
async function blackholeProxy(port: number): Promise<{ port: number; stall(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let stalled = false;
  const server: Server = createServer((client) => {
    const upstream = netConnect(port, '127.0.0.1');
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (d) => {
        if (!stalled) to.write(d);
      });
      from.on('error', () => undefined);
      from.on('close', () => to.destroy());
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    stall: () => (stalled = true),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

let work: string;
let server: SshServer;
let key: KeyPair;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ctc-blackhole-'));
  key = makeKeyPair(work, 'client');
  server = await startSshd({ authorizedKeys: [key.publicKeyLine] });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a blackholed SSH connection', () => {
  it.each([2, 4])(
    'is given up within about connect_timeout_sec (%i s)',
    async (timeoutSec) => {
      const proxy = await blackholeProxy(server.port);
      try {
        const knownHosts = join(work, `known_hosts_${timeoutSec}`);
        writeFileSync(knownHosts, `[127.0.0.1]:${proxy.port} ${server.knownHostsLine.split(' ').slice(1).join(' ')}\n`);
        const target = {
          name: 't',
          host: '127.0.0.1',
          port: proxy.port,
          user: 'root',
          roles: ['cybertrace'],
          identity_file: key.privateKeyFile,
          known_hosts: knownHosts,
          connect_timeout_sec: timeoutSec,
          command_timeout_sec: 120,
          sudo: 'none',
        } as unknown as DeployTarget;
        const conn = await connect(target, { privateKey: readFileSync(key.privateKeyFile) }, { writeKnownHosts: false });
        const started = Date.now();
        proxy.stall();
        await expect(conn.lost).rejects.toThrow(/connection lost/);
        const seconds = (Date.now() - started) / 1000;
        // Four keep-alive periods of a quarter of the timeout each, plus slack for a loaded machine; it was over 60 s.
        expect(seconds).toBeGreaterThan(timeoutSec * 0.5);
        expect(seconds).toBeLessThan(timeoutSec * 1.5 + 3);
        conn.close();
      } finally {
        await proxy.close();
      }
    },
    60_000,
  );
});
