import { describe, expect, it } from 'vitest';
import { CefParseError, KATA_MAX_MESSAGE_BYTES, KataAlertError, getField, parseKataAlert } from '../../src/formats/cef.js';

// Samples follow the documented KATA alert layout (the KATA SIEM integration guide): the header, the
// alert types, severity 0 for heartbeats, and the file_web keys (dvc in 4.x, dvchost in 5.x).
// Keys of the other alert types are representative CEF keys, not a copy of real traffic.
const HEADER_4 = 'CEF:0|AO Kaspersky Lab|Kaspersky Anti Targeted Attack Platform|4.1.0-3484';
const HEADER_5 = 'CEF:0|AO Kaspersky Lab|Kaspersky Anti Targeted Attack Platform|5.0.0-5201';

const FILE_WEB_4 =
  `<118>May 18 14:21:32 kata-cn ${HEADER_4}|file_web|File from web detected|High|` +
  String.raw`dvc=10.10.1.5 eventId=148203 rt=1589811692000 dst=10.20.30.40 dpt=80 src=192.168.7.21 ` +
  String.raw`spt=50412 shost=WS-ACC-07 suser=CORP\\jdoe fName=invoice 2020.doc.exe fsize=249344 ` +
  String.raw`fileType=PE fileHash=44D88612FEA8A8F36DE82E1278ABB02F ` +
  String.raw`KasperskyLabKATAcompositeFilePath=invoice.zip KasperskyLabKATAcompositeFileSize=102400 ` +
  String.raw`KasperskyLabKATAcompositeFileHash=0F343B0931126A20F133D67C2B018A3B`;

const FILE_WEB_5 =
  `${HEADER_5}|file_web|File from web detected|Medium|` +
  String.raw`dvchost=kata-cn-01.corp.local eventId=2207 rt=1714035941000 dst=203.0.113.8 dpt=443 ` +
  String.raw`src=10.1.1.20 spt=49822 shost=ws-17 fName=setup\=x64.msi fsize=1048576 fileType=msi ` +
  String.raw`fileHash=5D41402ABC4B2A76B9719D911017C592`;

// The header exactly as the KATA 5.0 documentation prints it, spaces included.
const URL_WEB =
  'CEF:0|AO Kaspersky Lab| Kaspersky Anti Targeted Attack Platform |5.0.0-5201|url_web| URL from web detected|Low|' +
  String.raw`dvchost=kata-cn-01 eventId=2208 rt=1714035999000 src=10.1.1.20 dst=198.51.100.7 dpt=80 ` +
  String.raw`request=http://fakess123.nu/path?a\=1&b\=2 requestMethod=GET shost=ws-17`;

const IDS =
  `${HEADER_5}|ids|Intrusion detected|High|` +
  String.raw`dvchost=kata-cn-01 eventId=2209 rt=1714036000000 src=198.51.100.7 spt=4444 dst=10.1.1.20 ` +
  String.raw`dpt=445 proto=TCP cs1Label=Rule cs1=ET EXPLOIT SMB|MS17-010 attempt`;

const DNS =
  `${HEADER_5}|dns|DNS activity detected|Medium|` +
  String.raw`dvchost=kata-cn-01 eventId=2210 rt=1714036001000 src=10.1.1.20 dst=10.0.0.53 dpt=53 ` +
  String.raw`dhost=update.evil.example cs2Label=DNS request type cs2=A`;

const HEARTBEAT = `${HEADER_5}|heartbeat|Heartbeat|0|dvchost=kata-cn-01 rt=1714036060000`;

// Activity-log messages carry `cs1label` in lower case, as the KATA docs print it.
const ACTIVITY = `${HEADER_5}|activity|User logged in|Low|dvchost=kata-cn-01 cs1label=Event type cs1=login suser=admin`;

describe('parseKataAlert', () => {
  it('reads a 4.x file_web alert with dvc as the host field', () => {
    const a = parseKataAlert(FILE_WEB_4);
    expect(a).toMatchObject({
      type: 'file_web',
      name: 'File from web detected',
      severity: 'High',
      productVersion: '4.1.0-3484',
      isHeartbeat: false,
      truncated: false,
      hostField: '10.10.1.5',
    });
    expect(a.fields).toMatchObject({
      eventId: '148203',
      suser: 'CORP\\jdoe',
      fName: 'invoice 2020.doc.exe',
      fileHash: '44D88612FEA8A8F36DE82E1278ABB02F',
      KasperskyLabKATAcompositeFilePath: 'invoice.zip',
      KasperskyLabKATAcompositeFileHash: '0F343B0931126A20F133D67C2B018A3B',
    });
    expect(a.event.prefix).toBe('<118>May 18 14:21:32 kata-cn');
    expect(a.fields.dvchost).toBeUndefined();
  });

  it('reads a 5.x file_web alert with dvchost as the host field', () => {
    const a = parseKataAlert(FILE_WEB_5);
    expect(a.type).toBe('file_web');
    expect(a.severity).toBe('Medium');
    expect(a.hostField).toBe('kata-cn-01.corp.local');
    expect(a.fields.fName).toBe('setup=x64.msi');
    expect(getField(a.event, 'FNAME')).toBe('setup=x64.msi');
  });

  it('trims the spaces of the documented url_web header', () => {
    const a = parseKataAlert(URL_WEB);
    expect(a).toMatchObject({ type: 'url_web', name: 'URL from web detected', severity: 'Low' });
    expect(a.fields.request).toBe('http://fakess123.nu/path?a=1&b=2');
    // The raw event keeps what was sent.
    expect(a.event.deviceProduct).toBe(' Kaspersky Anti Targeted Attack Platform ');
  });

  it('trims spaces around the vendor too', () => {
    const a = parseKataAlert(HEARTBEAT.replace('|AO Kaspersky Lab|', '|  AO Kaspersky Lab |'));
    expect(a.type).toBe('heartbeat');
  });

  it('reads ids and dns alerts, with | and spaces inside values', () => {
    const ids = parseKataAlert(IDS);
    expect(ids.type).toBe('ids');
    expect(ids.fields.cs1).toBe('ET EXPLOIT SMB|MS17-010 attempt');
    expect(ids.fields.proto).toBe('TCP');
    const dns = parseKataAlert(DNS);
    expect(dns.type).toBe('dns');
    expect(dns.fields).toMatchObject({ dhost: 'update.evil.example', cs2Label: 'DNS request type', cs2: 'A' });
  });

  it('recognises a heartbeat with severity 0', () => {
    const a = parseKataAlert(HEARTBEAT);
    expect(a).toMatchObject({ type: 'heartbeat', severity: '0', isHeartbeat: true, hostField: 'kata-cn-01' });
  });

  it('finds lower-case cs1label case-insensitively', () => {
    const a = parseKataAlert(ACTIVITY);
    expect(Object.keys(a.fields)).toContain('cs1label');
    expect(getField(a.event, 'cs1Label')).toBe('Event type');
  });

  it('marks an alert cut at 32 KB in the middle of a value as truncated', () => {
    const full = FILE_WEB_5 + ' KasperskyLabKATAcompositeFilePath=' + 'archive/'.repeat(5000) + 'last.exe';
    const cut = full.slice(0, KATA_MAX_MESSAGE_BYTES);
    expect(Buffer.byteLength(cut)).toBe(KATA_MAX_MESSAGE_BYTES);
    const a = parseKataAlert(cut);
    expect(a.truncated).toBe(true);
    expect(a.hostField).toBe('kata-cn-01.corp.local');
    expect(a.fields.fileHash).toBe('5D41402ABC4B2A76B9719D911017C592');
    const path = a.fields.KasperskyLabKATAcompositeFilePath;
    expect(path.startsWith('archive/archive/')).toBe(true);
    expect(path.endsWith('last.exe')).toBe(false);
    // The same message below the limit is whole.
    expect(parseKataAlert(FILE_WEB_5).truncated).toBe(false);
  });

  it('marks an alert cut right after an escape character as truncated', () => {
    const a = parseKataAlert(`${HEADER_5}|file_web|File from web detected|High|dvchost=cn suser=CORP\\`);
    expect(a.truncated).toBe(true);
    expect(a.fields.suser).toBe('CORP');
  });

  it('rejects an alert cut inside the header', () => {
    const cut = `${HEADER_5}|file_web|File from w`;
    expect(() => parseKataAlert(cut)).toThrow(CefParseError);
    expect(() => parseKataAlert(cut)).toThrow(/ends inside the header: 5 of 7/);
  });

  it('rejects CEF from another product with a clear message', () => {
    const other = 'CEF:0|Kaspersky|CyberTrace|3.1|2|CyberTrace Detection Event|8|reason=KL_Malicious_URL';
    expect(() => parseKataAlert(other)).toThrow(KataAlertError);
    expect(() => parseKataAlert(other)).toThrow(
      "not a KATA alert: vendor/product is 'Kaspersky' / 'CyberTrace', expected 'AO Kaspersky Lab' / 'Kaspersky Anti Targeted Attack Platform'",
    );
    expect(() => parseKataAlert('CEF:0|AO Kaspersky Lab|Kaspersky Endpoint Security|12|x|y|Low|')).toThrow(/Kaspersky Endpoint Security/);
  });
});
