/**
 * The seed-000 regexps checked with a real PCRE engine against events as FortiSIEM forwards
 * them (syslog header + CEF), including the documented CyberTrace test indicators.
 */
import { describe, expect, it } from 'vitest';
import { REGEXPS, EVENT_DELIMITER } from '../../connectors/fortisiem/contract.js';
import { pcreCompiles, pcreExtract } from '../../src/cybertrace/pcre.js';

const re = (name: string) => {
  const r = REGEXPS.find((x) => x.name === name);
  if (!r) throw new Error(`no regexp ${name}`);
  return r;
};
const extract = (name: string, text: string) => pcreExtract(re(name).pattern, text, re(name).extract);

const forwarded =
  '<134>Jun 27 08:50:19 fsm CEF:0|Fortinet|FortiGate|7.0|13|traffic|3|src=10.1.2.3 dst=192.0.2.0 dvc=10.1.2.1 ' +
  'eventId=4242 suser=jdoe request=http://fakess123.nu/path?a=1&b=2 fileHash=C912705B4BBB14EC7E78FA8B370532C9 act=allow';

describe('FortiSIEM CyberTrace regexps (PCRE)', () => {
  it('all compile in PCRE2 UTF mode', () => {
    for (const r of REGEXPS) expect(pcreCompiles(r.pattern), r.name).toEqual({ ok: true, error: '' });
    expect(pcreCompiles(EVENT_DELIMITER).ok).toBe(true);
  });

  it('match the fields of a forwarded CEF event', () => {
    expect(extract('RE_IP', forwarded)).toEqual(['192.0.2.0']);
    expect(extract('SRC_IP', forwarded)).toEqual(['10.1.2.3']);
    expect(extract('DeviceIp', forwarded)).toEqual(['10.1.2.1']);
    expect(extract('Id', forwarded)).toEqual(['4242']);
    expect(extract('UserName', forwarded)).toEqual(['jdoe']);
    expect(extract('RE_URL', forwarded)).toEqual(['fakess123.nu/path?a=1&b=2']);
    expect(extract('RE_HASH', forwarded)).toEqual(['C912705B4BBB14EC7E78FA8B370532C9']);
    expect(extract('Device', forwarded)).toEqual(['FortiGate']);
    expect(extract('Product', forwarded)).toEqual(['FortiGate']);
  });

  it('find every URL and hash (extract="all") and the documented test indicators', () => {
    const text =
      'request=http://fakess123bn.nu/ referrer=https://test.phishing.example.com/psh/test?p=1&p=2 fileHash=6AA0321FA9D82D652AB53882D7CF9E592B4439B8 oldFileHash=A72C5B99F2706B00718279C9533A3648';
    expect(extract('RE_URL', text)).toEqual(['fakess123bn.nu/', 'test.phishing.example.com/psh/test?p=1&p=2']);
    expect(extract('RE_HASH', text)).toEqual(['6AA0321FA9D82D652AB53882D7CF9E592B4439B8', 'A72C5B99F2706B00718279C9533A3648']);
  });

  it('takes internationalised host names and ports', () => {
    expect(extract('RE_URL', 'request=http://пример.испытание:8080/x')).toEqual(['пример.испытание:8080/x']);
  });

  it('do not match what they must not', () => {
    expect(extract('RE_IP', 'xdst=1.2.3')).toEqual([]);
    expect(extract('SRC_IP', 'src=10.1.2.3x')).toEqual([]);
    expect(extract('RE_URL', 'no scheme example.com/path')).toEqual([]);
    expect(extract('RE_HASH', 'short abcdef0123')).toEqual([]);
    expect(extract('Id', 'eventId=abc')).toEqual([]);
  });

  it('split a stream at each syslog <PRI> that is not a CEF value', () => {
    const stream = `${forwarded} <13>Jun 27 08:50:20 fsm CEF:0|X|Y|1|1|n|1|msg=a\\=<14>b`;
    // Group 1 marks where a new event starts; the escaped `=<14>` inside msg is not a start.
    expect(pcreExtract(EVENT_DELIMITER, stream, 'all')).toEqual(['<13>']);
  });
});
