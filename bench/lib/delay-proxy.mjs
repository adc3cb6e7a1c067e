// A TCP proxy on 127.0.0.1 that holds every chunk for a fixed time in each direction, so that a
// server on this machine answers as one across a slow link: `oneWayMs` 25 gives a 50 ms round trip.
// Order is kept (timers of equal delay fire in the order they were set); bytes are not changed.
import { connect, createServer } from 'node:net';

/** Starts a proxy to 127.0.0.1:targetPort; resolves to { port, close() }. */
export function startDelayProxy(targetPort, oneWayMs) {
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    const relay = (from, to) => {
      from.on('data', (chunk) => setTimeout(() => to.writable && to.write(chunk), oneWayMs));
      // An end travels as late as the data before it.
      from.on('end', () => setTimeout(() => to.end(), oneWayMs));
    };
    relay(client, upstream);
    relay(upstream, client);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        close: () =>
          new Promise((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      }),
    );
  });
}
