/** The kl_feed_service.conf settings one connector needs (CyberTrace 3.x / 4.x top level, or one 4.x/5.x tenant). */

export type RegExpType = 'HASH' | 'IP' | 'URL' | 'CONTEXT';

/** One named regexp of InputSettings > RegExps > Source id="default". Its name is usable as %NAME%. */
export interface RegExpDef {
  name: string;
  type: RegExpType;
  extract: 'all' | 'first';
  /** PCRE pattern as CyberTrace reads it (the text of the element, unescaped). */
  pattern: string;
  /** What this regexp is meant to pick out, for the settings sheet. */
  purpose: string;
}

export interface CyberTraceSettings {
  /** Which CyberTrace version families these settings were written for. */
  versions: string[];
  input: {
    connectionString: string;
    /** Regex that marks the start of each event; absent = leave the element as it is. */
    eventDelimiter?: string;
    regexps: RegExpDef[];
  };
  output: {
    connectionString: string;
    eventFormat: string;
    /** Absent = no service alerts are sent. */
    alertFormat?: string;
    recordFieldContextFormat: string;
    actionableFieldContextFormat: string;
    finishedEventEnabled: boolean;
    /** Text of FinishedEventFormat, pinned for clients that wait for it; absent = keep the element's text. */
    finishedEventText?: string;
  };
  /** Feed field renames applied to every <Field input_regexp_to_match="…">, e.g. RE_MD5 → RE_HASH. */
  feedFieldRenames: Record<string, string>;
  /**
   * Which SIEM and site these settings serve. Set by the bundle builder; patching records it in
   * kl_feed_service.conf and refuses to switch a CyberTrace to another SIEM unless allowSwitch.
   */
  serves?: { siem: string; site: string; allowSwitch?: boolean };
  /** Which layout and tenant of kl_feed_service.conf the settings go to; set by the bundle builder. Absent = 3.x/4.x top level. */
  target?: SettingsTarget;
}

export interface SettingsTarget {
  /** The version family the site states; a file of the other layout is refused with what to change. */
  version: '3.x' | '4.x' | '5.x';
  /** The tenant (`Domains > Domain[@name]`); absent = the top-level settings (3.x/4.x). */
  tenant?: string;
  /** 5.x: also set the global `NotificationSettings > ServiceAlertsSettings` (one SIEM per instance gets them). */
  serviceAlerts: boolean;
  /** Where the instance is in the site file (`cybertrace`, `cybertraces[1]`), for messages. */
  sitePath: string;
}
