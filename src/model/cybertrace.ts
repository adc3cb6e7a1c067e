/** The kl_feed_service.conf settings one connector needs (CyberTrace 3.x / 4.x layout). */

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
}
