/**
 * KATA is an event source: its CEF alerts reach CyberTrace through a SIEM. The CyberTrace regexps
 * of the FortiSIEM and AlienVault bundles (real PCRE) must pick the indicators out of them.
 */
import { describe, expect, it } from 'vitest';
import { parseKataAlert } from '../../src/formats/cef.js';
import { REGEXPS as FSM } from '../../connectors/fortisiem/contract.js';
import { REGEXPS as AV } from '../../connectors/alienvault/contract.js';
import { REGEXPS as SPLUNK } from '../../connectors/splunk/contract.js';
import type { RegExpDef } from '../../src/model/cybertrace.js';
import { pcreExtract } from '../../src/cybertrace/pcre.js';

const KATA_URL_WEB =
  '<118>May 18 14:21:32 kata-cn CEF:0|AO Kaspersky Lab|Kaspersky Anti Targeted Attack Platform|4.1.0-3484|url_web|URL from web detected|Low|' +
  'dvc=10.10.1.5 eventId=148204 rt=1589811692000 src=192.168.7.21 dst=192.0.2.0 dpt=80 request=http://fakess123.nu/a?b=1 shost=WS-ACC-07';
const KATA_FILE_WEB =
  '<118>May 18 14:21:33 kata-cn CEF:0|AO Kaspersky Lab|Kaspersky Anti Targeted Attack Platform|5.0.0-5201|file_web|File from web detected|High|' +
  'dvchost=kata-cn-01 eventId=148205 src=192.168.7.21 dst=203.0.113.8 fName=invoice.exe fileHash=C912705B4BBB14EC7E78FA8B370532C9';

const extract = (set: RegExpDef[], name: string, text: string) => {
  const r = set.find((x) => x.name === name);
  if (!r) throw new Error(`no regexp ${name}`);
  return pcreExtract(r.pattern, text, r.extract);
};

describe('KATA alerts as an event source', () => {
  it('are KATA alerts to the CEF reader', () => {
    expect(parseKataAlert(KATA_URL_WEB)).toMatchObject({ type: 'url_web', hostField: '10.10.1.5' });
    expect(parseKataAlert(KATA_FILE_WEB)).toMatchObject({ type: 'file_web', hostField: 'kata-cn-01' });
  });

  it('give their indicators to the FortiSIEM bundle regexps', () => {
    expect(extract(FSM, 'RE_URL', KATA_URL_WEB)).toEqual(['fakess123.nu/a?b=1']);
    expect(extract(FSM, 'RE_IP', KATA_URL_WEB)).toEqual(['192.0.2.0']);
    expect(extract(FSM, 'SRC_IP', KATA_URL_WEB)).toEqual(['192.168.7.21']);
    expect(extract(FSM, 'DeviceIp', KATA_URL_WEB)).toEqual(['10.10.1.5']);
    expect(extract(FSM, 'Id', KATA_FILE_WEB)).toEqual(['148205']);
    expect(extract(FSM, 'RE_HASH', KATA_FILE_WEB)).toEqual(['C912705B4BBB14EC7E78FA8B370532C9']);
  });

  it('give their indicators to the AlienVault bundle regexps (the line rsyslog forwards)', () => {
    expect(extract(AV, 'RE_URL', KATA_URL_WEB)).toEqual(['fakess123.nu/a?b=1']);
    expect(extract(AV, 'RE_MD5', KATA_FILE_WEB)).toEqual(['C912705B4BBB14EC7E78FA8B370532C9']);
    expect(extract(AV, 'SRC_IP', KATA_FILE_WEB)).toEqual(['192.168.7.21']);
  });

  it('give their indicators to the Splunk bundle regexps (the raw event the app forwards)', () => {
    const raw = (line: string) => line.replace(/^<\d+>\S+ +\d+ [\d:]+ \S+ /, '');
    expect(extract(SPLUNK, 'RE_URL', raw(KATA_URL_WEB))).toEqual(['fakess123.nu/a?b=1']);
    expect(extract(SPLUNK, 'RE_IP', raw(KATA_URL_WEB))).toEqual(['192.0.2.0']);
    expect(extract(SPLUNK, 'SRC_IP', raw(KATA_URL_WEB))).toEqual(['192.168.7.21']);
    expect(extract(SPLUNK, 'RE_MD5', raw(KATA_FILE_WEB))).toEqual(['C912705B4BBB14EC7E78FA8B370532C9']);
    expect(extract(SPLUNK, 'RE_SHA256', raw(KATA_FILE_WEB))).toEqual([]);
  });
});
