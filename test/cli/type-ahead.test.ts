/**
 * A password typed ahead while `deploy` or `verify` starts is not shown: on a terminal (a real
 * pseudo-terminal, Python's pty) echo is already off when the command prints its first line, and
 * text typed then does not appear. Then Ctrl-C at the prompt ends the run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const PTY = `
import os, pty, sys, termios, time, select
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out, echo_first = b'', None
deadline = time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if not r:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    if echo_first is None:
        echo_first = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
        os.write(fd, b'typedahead')
    out += chunk
    if b'CyberTrace API user' in out:
        os.write(fd, b'\\x03')
os.waitpid(pid, 0)
print('echo at first output:', echo_first)
print('typed ahead shown:', b'typedahead' in out)
`;

describe('type-ahead at the password prompt', () => {
  it('verify --http: echo is off from the start, and text typed before the prompt is not shown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctc-typeahead-'));
    try {
      const site = join(dir, 'site.yaml');
      expect(runCli(['init', site]).code).toBe(0);
      // Credentials named but not set: on a terminal, verify asks for them.
      writeFileSync(
        site,
        readFileSync(site, 'utf8').replace(
          'cybertrace:\n',
          'cybertrace:\n  http_api:\n    user_env: CTC_TYPEAHEAD_USER\n    password_env: CTC_TYPEAHEAD_PASS\n',
        ),
      );
      const bin = join(process.cwd(), 'bin', 'ctconnect.js');
      // Port 9 on loopback: nothing is sent before the prompt, and the run ends there.
      const r = spawnSync(
        'python3',
        ['-c', PTY, process.execPath, bin, 'verify', 'kuma', '--http', '--to', 'http://127.0.0.1:9', '--allow-plain-http', '-c', site],
        { encoding: 'utf8', timeout: 90_000 },
      );
      expect(r.stdout).toContain('echo at first output: False');
      expect(r.stdout).toContain('typed ahead shown: False');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
