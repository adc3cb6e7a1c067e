import { describe, expect, it } from 'vitest';
import { CefParseError, CefSerializeError, getField, parseCef, serializeCef, type CefInput } from '../../src/formats/cef.js';

// CyberTrace OutputSettings for FortiSIEM, copied from the vendor guide (the Kaspersky CyberTrace–FortiSIEM integration guide).
const EVENT_FORMAT =
  'CEF:0|Kaspersky|CyberTrace|3.1|2|CyberTrace Detection Event|8|reason=%Category% dst=%RE_IP% ' +
  'src=%SRC_IP% dvc=%DeviceIp% fileHash=%RE_HASH% request=%RE_URL% sourceServiceName=%Device% ' +
  'sproc=%Product% suser=%UserName% externalId=%Id% %ActionableFields% ' +
  'cs5Label=MatchedIndicator cs5=%MatchedIndicator% msg=%RecordContext%';
const ALERT_FORMAT = 'CEF:0|Kaspersky|CyberTrace|3.1|1|CyberTrace Service Event|4|reason=%Alert% msg=%RecordContext%';

/** CyberTrace substitutes raw values, without any CEF escaping. */
function render(format: string, values: Record<string, string>): string {
  return format.replace(/%(\w+)%/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`sample is missing %${name}%`);
    return values[name];
  });
}

describe('parseCef on CyberTrace output formats (the Kaspersky CyberTrace–FortiSIEM integration guide)', () => {
  it('reads a detection event back into the declared fields', () => {
    const line = render(EVENT_FORMAT, {
      Category: 'KL_Malicious_URL',
      RE_IP: '',
      SRC_IP: '192.168.0.10',
      DeviceIp: '10.0.0.1',
      RE_HASH: '',
      RE_URL: 'http://fakess123.nu/?a=1&b=2',
      Device: 'FortiGate',
      Product: 'FortiOS',
      UserName: 'jdoe',
      Id: '4711',
      // ActionableFieldContextFormat `%ParamName%=%ParamValue% `
      ActionableFields: 'cs3=75 ',
      MatchedIndicator: 'fakess123.nu',
      // RecordFieldContextFormat `%ParamName%:%ParamValue% `
      RecordContext: 'first_seen:10.07.2015 23:53 id:1 ',
    });
    const ev = parseCef(`<134>Apr 16 09:05:41 ctsrv ${line}`);
    expect(ev.prefix).toBe('<134>Apr 16 09:05:41 ctsrv');
    expect(ev).toMatchObject({
      version: 0,
      deviceVendor: 'Kaspersky',
      deviceProduct: 'CyberTrace',
      deviceVersion: '3.1',
      deviceEventClassId: '2',
      name: 'CyberTrace Detection Event',
      severity: '8',
      truncated: false,
    });
    expect(ev.extension).toEqual({
      reason: 'KL_Malicious_URL',
      dst: '',
      src: '192.168.0.10',
      dvc: '10.0.0.1',
      fileHash: '',
      request: 'http://fakess123.nu/?a=1&b=2',
      sourceServiceName: 'FortiGate',
      sproc: 'FortiOS',
      suser: 'jdoe',
      externalId: '4711',
      cs3: '75',
      cs5Label: 'MatchedIndicator',
      cs5: 'fakess123.nu',
      msg: 'first_seen:10.07.2015 23:53 id:1',
    });
    expect(ev.extensionOrder).toEqual([
      'reason',
      'dst',
      'src',
      'dvc',
      'fileHash',
      'request',
      'sourceServiceName',
      'sproc',
      'suser',
      'externalId',
      'cs3',
      'cs5Label',
      'cs5',
      'msg',
    ]);
  });

  it('reads a service alert', () => {
    const ev = parseCef(
      render(ALERT_FORMAT, {
        Alert: 'KL_Feed_Update_Failed',
        RecordContext: 'feed:Malicious_URL_Data_Feed reason:certificate expired ',
      }),
    );
    expect(ev.deviceEventClassId).toBe('1');
    expect(ev.name).toBe('CyberTrace Service Event');
    expect(ev.severity).toBe('4');
    expect(ev.extension).toEqual({
      reason: 'KL_Feed_Update_Failed',
      msg: 'feed:Malicious_URL_Data_Feed reason:certificate expired',
    });
  });
});

describe('parseCef', () => {
  it('unescapes header fields', () => {
    const ev = parseCef(String.raw`CEF:0|Acme\|Corp|Back\\slash|1.0|100|a\|b|5|`);
    expect(ev.deviceVendor).toBe('Acme|Corp');
    expect(ev.deviceProduct).toBe('Back\\slash');
    expect(ev.name).toBe('a|b');
    expect(ev.extension).toEqual({});
    expect(ev.extensionOrder).toEqual([]);
    expect(ev.prefix).toBeUndefined();
  });

  it('unescapes extension values and keeps unknown escapes as written', () => {
    const ev = parseCef(String.raw`CEF:0|v|p|1|c|n|Low|a=x\=y b=C:\\dir\\f c=l1\nl2\r d=p\|q e=keep\t f=|pipe|`);
    expect(ev.extension).toEqual({
      a: 'x=y',
      b: 'C:\\dir\\f',
      c: 'l1\nl2\r',
      d: 'p|q',
      e: 'keep\\t',
      f: '|pipe|',
    });
  });

  it('keeps spaces inside values and splits only at whitespace + key=', () => {
    const ev = parseCef('CEF:0|v|p|1|c|n|3|msg=a b  c d\\=e  f  next=1\tcs1.x[0]=2');
    expect(ev.extension).toEqual({ msg: 'a b  c d=e  f', next: '1', 'cs1.x[0]': '2' });
  });

  it('keeps leading spaces of a value but not trailing ones', () => {
    const ev = parseCef('CEF:0|v|p|1|c|n|3|a=  lead b=x   \r\n');
    expect(ev.extension).toEqual({ a: '  lead', b: 'x' });
  });

  it('keeps key case as written and looks up case-insensitively', () => {
    const ev = parseCef('CEF:0|v|p|1|c|n|3|fName=a.exe cs1label=Event type cs1=login');
    expect(Object.keys(ev.extension)).toEqual(['fName', 'cs1label', 'cs1']);
    expect(ev.extension.fname).toBeUndefined();
    expect(getField(ev, 'fname')).toBe('a.exe');
    expect(getField(ev, 'cs1Label')).toBe('Event type');
    expect(getField(ev, 'missing')).toBeUndefined();
  });

  it('lets a later duplicate key win without repeating it in the order', () => {
    const ev = parseCef('CEF:0|v|p|1|c|n|3|a=1 b=2 a=3');
    expect(ev.extension).toEqual({ a: '3', b: '2' });
    expect(ev.extensionOrder).toEqual(['a', 'b']);
  });

  it('treats prototype-looking keys as plain data', () => {
    const ev = parseCef('CEF:0|v|p|1|c|n|3|__proto__=x constructor=y');
    expect(ev.extension.__proto__).toBe('x');
    expect(getField(ev, 'constructor')).toBe('y');
    expect(Object.getPrototypeOf(ev.extension)).toBe(Object.prototype);
  });

  it('accepts syslog prefixes and CEF as a 3164 tag', () => {
    expect(parseCef('<14>CEF:1|v|p|1|c|n|3|a=1')).toMatchObject({ version: 1, prefix: '<14>' });
    expect(parseCef('Jan  2 03:04:05 h app: CEF:0|v|p|1|c|n|3|a=1').prefix).toBe('Jan  2 03:04:05 h app:');
  });

  it('rejects lines that are not CEF', () => {
    expect(() => parseCef('<134>Apr 16 09:05:41 host sshd[1]: accepted')).toThrow(CefParseError);
    expect(() => parseCef('notCEF:0|v|p|1|c|n|3|')).toThrow(/no 'CEF:' marker/);
    const err = catchError(() => parseCef('xx CEF:X|v|p|1|c|n|3|'));
    expect(err).toBeInstanceOf(CefParseError);
    expect(err.column).toBe(8);
    expect(err.message).toMatch(/version 'X' is not a number/);
  });

  it('rejects a header with fewer than 7 fields and says where', () => {
    const line = 'CEF:0|v|p|1|c|n|Low';
    const err = catchError(() => parseCef(line));
    expect(err).toBeInstanceOf(CefParseError);
    expect(err.column).toBe(line.length + 1);
    expect(err.message).toMatch(/6 of 7 header fields.*'severity'/);
    // An escaped pipe does not end a field.
    expect(() => parseCef(String.raw`CEF:0|v|p|1|c|n\|Low`)).toThrow(/5 of 7/);
  });

  it('rejects an extension that does not start with key=value', () => {
    const head = 'CEF:0|v|p|1|c|n|3|';
    const err = catchError(() => parseCef(`${head}  r eason=x`));
    expect(err.column).toBe(head.length + 3); // the 'r'
    expect(err.message).toMatch(/extension must start with key=value/);
  });

  it('flags a dangling backslash at the end as truncation', () => {
    const ev = parseCef('CEF:0|v|p|1|c|n|3|a=1 path=C:\\\\Users\\');
    expect(ev.truncated).toBe(true);
    expect(ev.extension.path).toBe('C:\\Users');
    // An escaped backslash at the end is complete.
    expect(parseCef('CEF:0|v|p|1|c|n|3|path=C:\\\\').truncated).toBe(false);
  });

  it('flags a line that reaches maxLength (UTF-8 bytes) as truncated', () => {
    const line = 'CEF:0|v|p|1|c|n|3|msg=' + 'x'.repeat(100);
    expect(parseCef(line, { maxLength: line.length }).truncated).toBe(true);
    expect(parseCef(line, { maxLength: line.length + 1 }).truncated).toBe(false);
    expect(parseCef(line).truncated).toBe(false);
    const wide = 'CEF:0|v|p|1|c|n|3|msg=' + 'ж'.repeat(10); // 20 bytes of value
    expect(parseCef(wide, { maxLength: wide.length + 10 }).truncated).toBe(true);
  });

  it('ignores a first key cut before its = when the length limit was hit', () => {
    const ev = parseCef('CEF:0|v|p|1|c|n|3|dvcho', { maxLength: 23 });
    expect(ev).toMatchObject({ truncated: true, extension: {} });
  });
});

describe('serializeCef', () => {
  const base: CefInput = {
    deviceVendor: 'Kaspersky',
    deviceProduct: 'CyberTrace',
    deviceVersion: '3.1',
    deviceEventClassId: '2',
    name: 'CyberTrace Detection Event',
    severity: '8',
    extension: {},
  };

  it('escapes the header and the extension as CEF requires', () => {
    const line = serializeCef({
      ...base,
      deviceVendor: 'A|B\\C',
      name: 'x=y',
      extension: [
        ['msg', 'a=b c\\d|e\nf\rg'],
        ['request', 'http://x/?a=1'],
      ],
    });
    expect(line).toBe(String.raw`CEF:0|A\|B\\C|CyberTrace|3.1|2|x=y|8|msg=a\=b c\\d|e\nf\rg request=http://x/?a\=1`);
  });

  it('writes pairs in the given order and an empty extension as nothing', () => {
    expect(
      serializeCef({
        ...base,
        extension: [
          ['b', '1'],
          ['a', '2'],
        ],
      }),
    ).toMatch(/\|8\|b=1 a=2$/);
    expect(serializeCef({ ...base, version: 1 })).toBe('CEF:1|Kaspersky|CyberTrace|3.1|2|CyberTrace Detection Event|8|');
  });

  it.each(['0', '3', '10', 'Low', 'Medium', 'High', 'Very-High', 'Unknown'])('accepts severity %s', (severity) => {
    expect(parseCef(serializeCef({ ...base, severity })).severity).toBe(severity);
  });

  it.each(['11', '-1', '3.5', 'low', 'Critical', '', ' 5'])('rejects severity %j', (severity) => {
    expect(() => serializeCef({ ...base, severity })).toThrow(/severity/);
  });

  it.each(['bad key', 'a=b', '', 'ключ', 'a|b', 'a\\b', 'tab\tkey'])('rejects key %j', (key) => {
    expect(() => serializeCef({ ...base, extension: { [key]: 'v' } })).toThrow(CefSerializeError);
  });

  it('rejects line breaks in the header, duplicates, non-strings and trailing blanks', () => {
    expect(() => serializeCef({ ...base, name: 'two\nlines' })).toThrow(/'name' contains a line break/);
    expect(() => serializeCef({ ...base, deviceVendor: 'cr\r' })).toThrow(/deviceVendor/);
    expect(() =>
      serializeCef({
        ...base,
        extension: [
          ['a', '1'],
          ['a', '2'],
        ],
      }),
    ).toThrow(/twice/);
    expect(() => serializeCef({ ...base, extension: { a: 5 as unknown as string } })).toThrow(/must be a string/);
    expect(() => serializeCef({ ...base, extension: { a: 'x ' } })).toThrow(/ends with whitespace/);
    expect(() => serializeCef({ ...base, version: -1 })).toThrow(/version/);
  });
});

describe('round trip parseCef(serializeCef(x))', () => {
  const hostile = [
    '',
    'plain',
    '"double" and \'single\' quotes',
    'pipe | in | value',
    '|',
    'a=b',
    '=',
    ' k=v',
    'x key=value y',
    '\\',
    '\\\\',
    'ends with backslash\\',
    '\\=',
    '\\n literal, not a newline',
    'line1\nline2',
    '\r\n',
    'tab\tinside',
    '  two leading spaces',
    'unicode: Привет, 日本語, emoji 🛡️, nbsp\u00a0end\u00a0',
    'C:\\Program Files\\Kaspersky Lab\\',
    'msg=first_seen:10.07.2015 23:53 id:1',
  ];

  it.each(hostile.map((v) => [v]))('extension value %j', (value) => {
    const ev = parseCef(serializeCef(event({ msg: value, after: 'x' })));
    expect(ev.extension).toEqual({ msg: value, after: 'x' });
    // Also as the last value, where trailing text is handled separately.
    expect(parseCef(serializeCef(event({ msg: value }))).extension).toEqual({ msg: value });
  });

  it.each(hostile.filter((v) => !/[\r\n]/.test(v)).map((v) => [v]))('header value %j', (value) => {
    const input = { ...event({ k: 'v' }), deviceVendor: value, deviceProduct: value, name: value };
    const ev = parseCef(serializeCef(input));
    expect(ev).toMatchObject({ deviceVendor: value, deviceProduct: value, name: value });
  });

  it('holds for many random events built from hostile characters', () => {
    const alphabet = ['a', 'Z', '0', ' ', '=', '|', '\\', '\n', '\r', '"', "'", 'ж', '🛡', 'n', 'k=', '\t'];
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const str = (max: number) => Array.from({ length: rand(max) }, () => alphabet[rand(alphabet.length)]).join('');
    for (let round = 0; round < 300; round++) {
      const pairs: [string, string][] = [];
      const keyCount = rand(6);
      for (let k = 0; k < keyCount; k++) pairs.push([`k${k}`, str(12).replace(/[ \t]+$/, '')]);
      const header = str(8).replace(/[\r\n]/g, '');
      const input: CefInput = {
        version: rand(2),
        deviceVendor: header,
        deviceProduct: 'p' + header,
        deviceVersion: '1',
        deviceEventClassId: header + 'id',
        name: header,
        severity: String(rand(11)),
        extension: pairs,
      };
      const ev = parseCef(serializeCef(input));
      expect({ ...ev, truncated: undefined, extensionOrder: undefined }).toEqual({
        ...input,
        extension: Object.fromEntries(pairs),
        truncated: undefined,
        extensionOrder: undefined,
      });
      expect(ev.extensionOrder).toEqual(pairs.map(([k]) => k));
      expect(ev.truncated).toBe(false);
    }
  });
});

function event(extension: Record<string, string>): CefInput {
  return {
    deviceVendor: 'v',
    deviceProduct: 'p',
    deviceVersion: '1',
    deviceEventClassId: 'c',
    name: 'n',
    severity: '5',
    extension,
  };
}

function catchError(fn: () => unknown): CefParseError {
  try {
    fn();
  } catch (e) {
    return e as CefParseError;
  }
  throw new Error('expected an error');
}
