/** --diff output: unified diffs with secret values redacted, changed secrets still visible as changed lines. */
import { describe, expect, it } from 'vitest';
import { redactedDiff } from '../../src/deploy/diff.js';
import { redactText as redactLine } from '../../src/kernel/redact.js';

describe('redaction', () => {
  it.each([
    ['pass=hunter2', 'pass=********'],
    ['db_password = "x y"', 'db_password = "********"'],
    ['  "api_token": "abc",', '  "api_token": "********",'],
    ['sudoPassword: s3', 'sudoPassword: ********'],
    ['<Password>p&amp;ss</Password>', '<Password>********</Password>'],
    ['<KTCSecret id="1">v</KTCSecret>', '<KTCSecret id="1">********</KTCSecret>'],
    ['SPLUNK_TOKEN=abc', 'SPLUNK_TOKEN=********'],
    ['# password: hunter2', '# password: ********'],
  ])('%s', (line, want) => {
    expect(redactLine(line)).toBe(want);
  });

  it('leaves ordinary lines alone', () => {
    for (const l of ['bypass=1', 'Passthrough on', 'compass: north', 'local0.* @@192.0.2.10:9999']) expect(redactLine(l)).toBe(l);
  });

  it('hides known secret values anywhere', () => {
    expect(redactLine('mysql -u root -pTopS3cret', ['TopS3cret'])).toBe('mysql -u root -p********');
  });
});

describe('redactedDiff', () => {
  it('shows the change, not the secret', () => {
    const d = redactedDiff('/etc/x.conf', Buffer.from('a=1\npass=old\n'), Buffer.from('a=2\npass=new\n'));
    expect(d.split('\n').filter((l) => /^[+-][^+-]/.test(l))).toEqual(['-a=1', '-pass=********', '+a=2', '+pass=********']);
    expect(d).not.toMatch(/old|new/);
  });

  it('is empty when equal, marks new files and binary files', () => {
    expect(redactedDiff('/x', Buffer.from('a\n'), Buffer.from('a\n'))).toBe('');
    expect(redactedDiff('/x', undefined, Buffer.from('a\n'))).toContain('--- /dev/null');
    expect(redactedDiff('/x', Buffer.from([0, 1]), Buffer.from([0, 2]))).toBe('Binary file /x differs\n');
  });
});
