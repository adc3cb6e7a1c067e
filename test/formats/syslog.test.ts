import { describe, expect, it } from 'vitest';
import { SyslogParseError, formatSyslog3164, frameOctetCounting, parseSyslog, splitFrames } from '../../src/formats/syslog.js';

const CEF = 'CEF:0|Kaspersky|CyberTrace|3.1|2|CyberTrace Detection Event|8|reason=KL_Malicious_URL';

describe('parseSyslog, RFC 3164', () => {
  it('reads PRI, timestamp, host, tag with pid and message', () => {
    expect(parseSyslog('<134>Apr 16 09:05:41 fw01 sshd[2211]: Accepted key for root\n')).toEqual({
      format: 'rfc3164',
      pri: 134,
      facility: 16,
      severity: 6,
      timestamp: 'Apr 16 09:05:41',
      host: 'fw01',
      tag: 'sshd',
      procId: '2211',
      msg: 'Accepted key for root',
    });
  });

  it('reads a line without PRI and a space-padded day', () => {
    const m = parseSyslog('Apr  6 09:05:41 fw01 kernel: drop IN=eth0');
    expect(m).toMatchObject({ timestamp: 'Apr  6 09:05:41', host: 'fw01', tag: 'kernel', msg: 'drop IN=eth0' });
    expect(m.pri).toBeUndefined();
    expect(m.facility).toBeUndefined();
  });

  it('does not take CEF: for a tag', () => {
    const m = parseSyslog(`<14>Apr 16 09:05:41 ctsrv ${CEF}`);
    expect(m.tag).toBeUndefined();
    expect(m.host).toBe('ctsrv');
    expect(m.msg).toBe(CEF);
  });

  it('accepts the RFC 3339 timestamp rsyslog forwards', () => {
    const m = parseSyslog('<13>2024-04-16T09:05:41.123+02:00 fw01 app: hello');
    expect(m).toMatchObject({ format: 'rfc3164', timestamp: '2024-04-16T09:05:41.123+02:00', host: 'fw01', tag: 'app', msg: 'hello' });
  });

  it('rejects a PRI over 191 and lines without a header', () => {
    expect(() => parseSyslog('<192>Apr 16 09:05:41 h t: m')).toThrow(/out of range/);
    expect(() => parseSyslog('<13>hello world')).toThrow(SyslogParseError);
    expect(() => parseSyslog('just text')).toThrow(/no RFC 3164 timestamp/);
  });
});

describe('parseSyslog, RFC 5424', () => {
  it('reads all header fields, structured data and the message', () => {
    const line =
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 ' +
      '[exampleSDID@32473 iut="3" eventSource="Appl\\"ication"][x@1 a="b\\]c"] \uFEFFAn application event';
    expect(parseSyslog(line)).toEqual({
      format: 'rfc5424',
      pri: 165,
      facility: 20,
      severity: 5,
      timestamp: '2003-10-11T22:14:15.003Z',
      host: 'mymachine.example.com',
      app: 'evntslog',
      tag: 'evntslog',
      msgId: 'ID47',
      structuredData: '[exampleSDID@32473 iut="3" eventSource="Appl\\"ication"][x@1 a="b\\]c"]',
      msg: 'An application event',
    });
  });

  it('maps nil values to absent and keeps a CEF body intact', () => {
    const m = parseSyslog(`<134>1 - kata-cn - 1234 - - ${CEF}`);
    expect(m).toMatchObject({ format: 'rfc5424', host: 'kata-cn', procId: '1234', msg: CEF });
    expect(m.timestamp).toBeUndefined();
    expect(m.app).toBeUndefined();
    expect(m.structuredData).toBeUndefined();
    expect(parseSyslog('<134>1 - h a p m -').msg).toBe('');
  });

  it('rejects broken structured data', () => {
    expect(() => parseSyslog('<134>1 - h a p m [x@1 a="b] msg')).toThrow(/unterminated/);
    expect(() => parseSyslog('<134>1 - h a p m junk')).toThrow(/structured data/);
  });
});

describe('formatSyslog3164', () => {
  it('writes a line that parses back', () => {
    const line = formatSyslog3164({
      pri: 134,
      date: new Date(Date.UTC(2024, 3, 6, 9, 5, 41)),
      utc: true,
      host: 'fw01',
      tag: 'test',
      msg: CEF,
    });
    expect(line).toBe(`<134>Apr  6 09:05:41 fw01 test: ${CEF}`);
    expect(parseSyslog(line)).toMatchObject({ pri: 134, host: 'fw01', tag: 'test', msg: CEF });
  });

  it('omits the tag when none is given and uses a date string as is', () => {
    const line = formatSyslog3164({ pri: 13, date: 'Dec 31 23:59:59', host: 'h', msg: CEF });
    expect(line).toBe(`<13>Dec 31 23:59:59 h ${CEF}`);
    expect(parseSyslog(line).tag).toBeUndefined();
  });

  it('rejects bad PRI, host and tag', () => {
    const ok = { pri: 13, date: 'Dec 31 23:59:59', host: 'h', msg: 'm' };
    expect(() => formatSyslog3164({ ...ok, pri: 192 })).toThrow(/PRI/);
    expect(() => formatSyslog3164({ ...ok, host: 'two words' })).toThrow(/host/);
    expect(() => formatSyslog3164({ ...ok, tag: 'a:b' })).toThrow(/tag/);
  });
});

describe('RFC 6587 framing', () => {
  it('counts octets in UTF-8 bytes', () => {
    expect(frameOctetCounting('<13>hi')).toBe('6 <13>hi');
    expect(frameOctetCounting('<13>ж')).toBe('6 <13>ж');
  });

  it('splits octet-counted and LF-terminated frames in one stream', () => {
    const msgs = ['<13>one\nwith LF inside', '<13>two', '<13>Привет'];
    const stream = frameOctetCounting(msgs[0]) + '<13>lf one\r\n' + '\n' + frameOctetCounting(msgs[1]) + '<13>lf two\n' + frameOctetCounting(msgs[2]);
    const { frames, rest } = splitFrames(stream);
    expect(frames).toEqual([msgs[0], '<13>lf one', msgs[1], '<13>lf two', msgs[2]]);
    expect(rest.length).toBe(0);
  });

  it('keeps an incomplete tail and finishes it with the next chunk, even mid-character', () => {
    const whole = Buffer.from(frameOctetCounting('<13>Привет мир') + '<13>tail\n');
    for (let cut = 1; cut < whole.length; cut++) {
      const first = splitFrames(whole.subarray(0, cut));
      const second = splitFrames(Buffer.concat([first.rest, whole.subarray(cut)]));
      expect([...first.frames, ...second.frames]).toEqual(['<13>Привет мир', '<13>tail']);
      expect(second.rest.length).toBe(0);
    }
  });

  it('reads digits not followed by a space as an LF-terminated line', () => {
    expect(splitFrames('12345\n').frames).toEqual(['12345']);
    expect(splitFrames('12x\n<13>a\n').frames).toEqual(['12x', '<13>a']);
  });
});
