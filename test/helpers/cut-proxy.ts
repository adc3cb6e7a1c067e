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
  /** Cuts every open connection once the client has sent `afterBytes` more bytes on it (0: now). */
  cutAfter(afterBytes: number): void;
  /** true: new connections are closed at once. */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export function startCutProxy(targetPort: number): Promise<CutProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket; budget?: number }>();
  let refusing = false;
  let accepted = 0;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: { client: Socket; upstream: Socket; budget?: number } = { client, upstream };
    pairs.add(pair);
    const cut = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
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
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        port,
        get accepted() {
          return accepted;
        },
        cutAfter(afterBytes) {
          for (const p of [...pairs]) {
            if (afterBytes <= 0) {
              p.client.destroy();
              p.upstream.destroy();
              pairs.delete(p);
            } else p.budget = afterBytes;
          }
        },
        refuse(on) {
          refusing = on;
        },
        close: () =>
          new Promise<void>((res) => {
            for (const p of pairs) {
              p.client.destroy();
              p.upstream.destroy();
            }
            server.close(() => res());
          }),
      });
    });
  });
}
