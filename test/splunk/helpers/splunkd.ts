/**
 * The part of splunkd's REST API the lookup script uses: reading the records of one app's
 * KV-store collection (GET /servicesNS/nobody/<app>/storage/collections/data/<collection>),
 * authenticated with the search's session key (`Authorization: Splunk <key>`), answered as a
 * JSON array of records that carry `_key` and `_user`. Plain HTTP on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';

export interface FakeSplunkd {
  uri: string;
  sessionKey: string;
  /** Requests received: path with query, and the Authorization header. */
  requests: Array<{ path: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

export async function startSplunkd(opts: {
  app: string;
  sessionKey: string;
  records: Array<Record<string, unknown>>;
  collection?: string;
  status?: number;
}): Promise<FakeSplunkd> {
  const collection = opts.collection ?? 'kl_cybertrace_settings';
  const requests: FakeSplunkd['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', authorization: req.headers.authorization });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Splunk ${opts.sessionKey}`) return send(401, { messages: [{ type: 'WARN', text: 'call not properly authenticated' }] });
    if (opts.status) return send(opts.status, { messages: [{ type: 'ERROR', text: 'KV Store is initializing' }] });
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== `/servicesNS/nobody/${opts.app}/storage/collections/data/${collection}`)
      return send(404, { messages: [{ type: 'ERROR', text: 'Not Found' }] });
    send(
      200,
      opts.records.map((r) => ({ _user: 'nobody', ...r })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    uri: `http://127.0.0.1:${port}`,
    sessionKey: opts.sessionKey,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
