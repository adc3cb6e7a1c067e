/**
 * A TCP proxy on 127.0.0.1 for fault tests: forwards to a real server and cuts connections on
 * demand — now, or once the client has sent a number of bytes more (e.g. part way through an
 * upload) — and can refuse new connections, as a host that went away would.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface CutProxy {
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /**
   * Cuts every open connection once the client has sent `afterBytes` more bytes on it (0: now).
   * `silent`: only the client's side goes; the server's stays open and idle, as after a network drop the
   * server has not noticed yet.
   */
  cutAfter(afterBytes: number, opts?: { silent?: boolean }): void;
  /** true: new connections are closed at once. */
  refuse(on: boolean): void;
  /** true: new connections are accepted but wait, sending nothing either way, until hold(false). */
  hold(on: boolean): void;
  close(): Promise<void>;
}

export function startCutProxy(targetPort: number): Promise<CutProxy> {
  type Pair = { client: Socket; upstream: Socket; budget?: number; silent?: boolean };
  const pairs = new Set<Pair>();
  /** Server sides left open by silent cuts, closed with the proxy. */
  const orphans = new Set<Socket>();
  let refusing = false;
  let accepted = 0;
  let holding = false;
  const held: Array<() => void> = [];
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    if (holding) {
      // Paused: its bytes stay in the socket until the connection is let through.
      client.pause();
      client.on('error', () => client.destroy());
      held.push(() => forward(client));
      return;
    }
    forward(client);
  });
  const forward = (client: Socket) => {
    if (client.destroyed) return;
    accepted++;
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    const cut = () => {
      if (!pairs.has(pair)) return;
      pairs.delete(pair);
      client.destroy();
      if (pair.silent) {
        upstream.removeAllListeners('data');
        orphans.add(upstream);
      } else upstream.destroy();
    };
    client.on('data', (d: Buffer) => {
      if (pair.budget !== undefined) {
        pair.budget -= d.length;
        if (pair.budget <= 0) return cut();
      }
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('close', cut);
    upstream.on('close', cut);
    client.resume();
  };
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        port,
        get accepted() {
          return accepted;
        },
        cutAfter(afterBytes, opts = {}) {
          for (const p of [...pairs]) {
            p.silent = opts.silent;
            if (afterBytes <= 0) p.client.destroy();
            else p.budget = afterBytes;
          }
        },
        refuse(on) {
          refusing = on;
        },
        hold(on) {
          holding = on;
          if (!on) for (const go of held.splice(0)) go();
        },
        close: () =>
          new Promise<void>((res) => {
            for (const p of pairs) {
              p.client.destroy();
              p.upstream.destroy();
            }
            for (const o of orphans) o.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}
