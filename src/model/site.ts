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
  /** Instance name, for messages and the record left in kl_feed_service.conf (required in the `cybertraces:` list). */
  name?: string;
  /**
   * SIEM ids whose settings this instance carries. A 3.x/4.x instance has one OutputSettings, so it
   * serves one SIEM. Absent in the single `cybertrace:` form = every SIEM of the site.
   */
  serves?: string[];
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
  /** With role cybertrace and a `cybertraces:` list: the name of the instance this host is. */
  cybertrace?: string;
  /** `skip`: deploys install the files only (a staged host); the steps stay pending on the host. */
  steps?: 'run' | 'skip';
}

export interface Site {
  /** Short site name used in bundle texts. */
  name: string;
  /** The CyberTrace instance; with a `cybertraces:` list, the first one (bundles get the one serving their SIEM, see instances.ts). */
  cybertrace: CyberTraceSite;
  /** Present when the site describes several CyberTrace instances (`cybertraces:`). */
  cybertraces?: CyberTraceSite[];
  categories: {
    /** Kaspersky feed categories in use (e.g. KL_Malicious_URL). */
    kaspersky: string[];
    custom: CustomCategory[];
    /** Titles of Kaspersky categories that differ from the built-in ones (filled in by the loader; absent in sites built by code). */
    titles?: Record<string, string>;
  };
  /** Per-connector options, keyed by connector id; each connector validates its own section. */
  siems: Record<string, Record<string, unknown>>;
  targets: DeployTarget[];
  /** Where the site came from (file path as given, or "built-in example site"), for messages. */
  source: string;
  /** Absolute path of the site file; absent for the built-in example and for sites parsed from text. */
  file?: string;
  /**
   * ` --config '<file>'` for commands a bundle prints (shell-quoted, with a leading space), or ''
   * for the built-in example. Set by the bundle builder, so every template can rely on it.
   */
  configOption?: string;
  /** Things that are valid but probably not meant (e.g. several SIEMs on one CyberTrace), with positions. */
  warnings?: string[];
}
