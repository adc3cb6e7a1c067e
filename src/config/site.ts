/** The validated site description (after defaults are filled in). See examples/site.yaml for a commented one. */

export interface CyberTraceSite {
  /** Address the SIEMs and log sources use to reach CyberTrace. */
  address: string;
  /** Address CyberTrace binds its input port to; defaults to `address`. */
  listen_address: string;
  input_port: number;
  /** Port where detections come back to a SIEM-side listener (Splunk, KUMA scheme). */
  return_port: number;
  platform: 'linux' | 'windows';
  install_dir: string;
  version: '3.x' | '4.x';
  /** CyberTrace's HTTP lookup API; absent = https://<address>:443 without credentials. */
  http_api?: CyberTraceHttpApi;
}

export interface CyberTraceHttpApi {
  /** https://host:port (or http://) of CyberTrace Web, where the API is served. */
  url?: string;
  /** Names of the environment variables holding the API user and password. */
  user_env?: string;
  password_env?: string;
}

export interface CustomCategory {
  /** The `category` attribute of the feed in kl_feed_service.conf. */
  name: string;
  /** Human-readable name, e.g. for the event name in the SIEM. */
  title?: string;
}

export interface DeployTarget {
  name: string;
  host: string;
  port: number;
  user: string;
  /** Which parts of the bundles this host receives: 'cybertrace' and/or connector ids. */
  roles: string[];
  identity_file?: string;
  use_agent: boolean;
  /** Environment variable holding the key passphrase or login password (never the value itself). */
  password_env?: string;
  sudo: 'none' | 'nopasswd' | 'password';
  sudo_password_env?: string;
  /** Files are written below this prefix instead of / (for staging and tests). */
  root_prefix?: string;
  known_hosts?: string;
  host_key_sha256?: string;
  accept_new_host_key: boolean;
  connect_timeout_sec: number;
  command_timeout_sec: number;
  /** How long a deploy waits for another ctconnect run on the same host to finish. */
  lock_wait_sec: number;
  /** Install through folders that are symbolic links (e.g. /opt/splunk → /data/splunk); off by default. */
  follow_symlinked_dirs: boolean;
}

export interface Site {
  /** Short site name used in bundle texts. */
  name: string;
  cybertrace: CyberTraceSite;
  categories: {
    /** Kaspersky feed categories in use (e.g. KL_Malicious_URL). */
    kaspersky: string[];
    custom: CustomCategory[];
  };
  /** Per-connector options, keyed by connector id; each connector validates its own section. */
  siems: Record<string, Record<string, unknown>>;
  targets: DeployTarget[];
  /** Where the site came from (file path or "built-in example"), for messages. */
  source: string;
}
