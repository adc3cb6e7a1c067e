/**
 * The tar.gz writer (node-tar's header encoders, put together in one pass) read by two independent
 * readers, GNU tar and Python's tarfile: names past ustar's 100 + 155 bytes and non-ASCII names (a pax
 * header), folders, modes, the fixed timestamp and owner 0.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArchive } from '../../src/formats/archive.js';

const dir = mkdtempSync(join(tmpdir(), 'ctc-archive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tar.gz archives', () => {
  it('are read the same by GNU tar and Python, long and non-ASCII names included', async () => {
    const long = `${'a'.repeat(120)}/${'b'.repeat(120)}/файл-${'c'.repeat(60)}.txt`;
    const files = [
      { path: 'INSTALL.md', content: '# hello\n', mode: 0o644 },
      { path: 'bin/run.sh', content: Buffer.from('#!/bin/sh\necho ok\n'), mode: 0o755 },
      { path: long, content: 'x'.repeat(513), mode: 0o600 },
    ];
    const file = join(dir, 'a.tar.gz');
    writeFileSync(file, await createArchive(files, 'top', 'tar.gz'));
    expect(execFileSync('tar', ['tzf', file], { encoding: 'utf8' }).trim().split('\n')).toEqual(
      [
        'top/',
        'top/INSTALL.md',
        `top/${long.split('/')[0]}/`,
        `top/${long.split('/').slice(0, 2).join('/')}/`,
        `top/${long}`,
        'top/bin/',
        'top/bin/run.sh',
      ].sort(),
    );
    const listing = execFileSync(
      'python3',
      [
        '-c',
        'import sys, tarfile, json\nt = tarfile.open(sys.argv[1])\nprint(json.dumps([[m.name, oct(m.mode), m.mtime, m.uid, m.gid, m.isdir(), m.size, (t.extractfile(m).read().decode() if m.isfile() else None)] for m in t.getmembers()]))',
        file,
      ],
      { encoding: 'utf8' },
    );
    const members = JSON.parse(listing) as Array<[string, string, number, number, number, boolean, number, string | null]>;
    const byName = new Map(members.map((m) => [m[0], m]));
    expect(byName.get(`top/${long}`)).toEqual([`top/${long}`, '0o600', 946684800, 0, 0, false, 513, 'x'.repeat(513)]);
    expect(byName.get('top/bin/run.sh')?.slice(1)).toEqual(['0o755', 946684800, 0, 0, false, 18, '#!/bin/sh\necho ok\n']);
    expect(byName.get('top/bin')?.slice(1, 6)).toEqual(['0o755', 946684800, 0, 0, true]);
  });
});
