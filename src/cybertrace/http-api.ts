/** Where CyberTrace's HTTP lookup API is for a site. */
import type { Site } from '../model/site.js';

/** The CyberTrace web interface (which serves the API) listens on 443 by default. */
export const DEFAULT_HTTP_API_PORT = 443;

/** The HTTP API address of the site: `cybertrace.http_api.url`, else https://<cybertrace.address>:443. */
export function httpApiUrl(site: Site): string {
  return site.cybertrace.http_api?.url ?? `https://${site.cybertrace.address}:${DEFAULT_HTTP_API_PORT}`;
}
