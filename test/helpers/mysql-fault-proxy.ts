/**
 * A TCP proxy on 127.0.0.1 between a MySQL client and server that cuts the connection at one
 * protocol point, once: when the client sends a chosen statement, either before it reaches the
 * server, or after the server has answered it (the answer is then lost). An optional hook runs at
 * the cut (e.g. kill the server). Connections after the cut pass through untouched, so the client
 * can connect again. The client's packets are plain text (no TLS, no compression), so a statement
 * is recognised by its bytes.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface CutRule {
  /** Bytes that identify the client packet, e.g. the COM_QUERY packet of COMMIT. */
  packet: Buffer;
  when: 'before-server' | 'after-answer';
  /** Runs before the sockets are closed. */
  atCut?: () => Promise<void> | void;
}

export interface FaultProxy {
  port: number;
  /** Arms one cut; it fires on the next matching packet. */
  arm(rule: CutRule): void;
  /** Resolves once the armed cut has happened. */
  cut(): Promise<void>;
  close(): Promise<void>;
}

/** The COM_QUERY packet of a statement sent as the first command of a round trip (sequence 0). */
export function comQuery(sql: string): Buffer {
  const payload = Buffer.concat([Buffer.from([0x03]), Buffer.from(sql, 'utf8')]);
  const header = Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, (payload.length >> 16) & 0xff, 0]);
  return Buffer.concat([header, payload]);
}

export async function startFaultProxy(upstreamPort: number): Promise<FaultProxy> {
  let rule: CutRule | undefined;
  let fired: () => void = () => undefined;
  let cutDone = Promise.resolve();
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    let awaitingAnswer = false;

    const cutNow = async () => {
      const r = rule;
      rule = undefined;
      await r?.atCut?.();
      closeBoth();
      fired();
    };

    upstream.on('data', (d: Buffer) => {
      if (awaitingAnswer) {
        awaitingAnswer = false;
        void cutNow();
        return;
      }
      client.write(d);
    });
    client.on('data', (d: Buffer) => {
      if (rule && d.includes(rule.packet)) {
        if (rule.when === 'before-server') {
          void cutNow();
          return;
        }
        awaitingAnswer = true;
      }
      upstream.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (typeof addr !== 'object' || !addr) throw new Error('proxy has no port');
  return {
    port: addr.port,
    arm(r) {
      rule = r;
      cutDone = new Promise<void>((resolve) => (fired = resolve));
    },
    cut: () => cutDone,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
