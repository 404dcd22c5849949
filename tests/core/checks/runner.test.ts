import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePluginOutput } from '../../../main/core/checks/result.ts';
import { runCheck, type RunnableDefinition } from '../../../main/core/checks/runner.ts';
import { freePort, makeTempDir } from '../../peers/util.ts';

const PLUGINS = '/usr/lib/nagios/plugins';
const FIXTURES = join(import.meta.dirname, 'fixtures');
const havePlugins = existsSync(join(PLUGINS, 'check_dummy'));
if (!havePlugins && process.env.CI !== undefined) {
  throw new Error(`${PLUGINS}/check_dummy is missing: CI must install monitoring-plugins-basic`);
}
if (!havePlugins)
  console.warn(
    `skipping plugin tests: ${PLUGINS} missing (apt-get install -y monitoring-plugins-basic)`,
  );

function def(argv: string[], extra: Partial<RunnableDefinition> = {}): RunnableDefinition {
  return {
    name: 'test',
    command: { argv, shell: false },
    timeout: 10,
    maxOutputBytes: 64 * 1024,
    ...extra,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('plugin output', () => {
  it('splits output, long output and perfdata on the first and later lines', () => {
    expect(parsePluginOutput('DISK OK - fine | a=1 b=2\nline 2\nline 3 | c=3\nd=4\n')).toEqual({
      output: 'DISK OK - fine',
      longOutput: 'line 2\nline 3 ',
      perfdata: [
        { label: 'a', value: 1, uom: '' },
        { label: 'b', value: 2, uom: '' },
        { label: 'c', value: 3, uom: '' },
        { label: 'd', value: 4, uom: '' },
      ],
      perfdataErrors: [],
    });
  });

  it('handles empty output and CRLF', () => {
    expect(parsePluginOutput('')).toMatchObject({ output: '', longOutput: '', perfdata: [] });
    expect(parsePluginOutput('OK|x=1\r\nmore\r\n')).toMatchObject({
      output: 'OK',
      longOutput: 'more',
      perfdata: [{ label: 'x', value: 1 }],
    });
  });
});

describe.skipIf(!havePlugins)('real monitoring plugins', () => {
  let server: Server;
  let openPort: number;
  beforeAll(async () => {
    openPort = await freePort();
    server = createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(openPort, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('maps check_dummy exit codes 0..3 to the four states', async () => {
    const states = [];
    for (const code of [0, 1, 2, 3]) {
      const r = await runCheck(
        def([join(PLUGINS, 'check_dummy'), String(code), 'hello from the test']),
      );
      states.push([r.state, r.stateName, r.exitCode, r.output]);
    }
    expect(states).toEqual([
      [0, 'OK', 0, 'OK: hello from the test'],
      [1, 'WARNING', 1, 'WARNING: hello from the test'],
      [2, 'CRITICAL', 2, 'CRITICAL: hello from the test'],
      [3, 'UNKNOWN', 3, 'UNKNOWN: hello from the test'],
    ]);
  });

  it('passes arguments without a shell: metacharacters stay literal', async () => {
    const r = await runCheck(
      def([join(PLUGINS, 'check_dummy'), '0', '$(touch /tmp/outpost-pwned); `id` > x']),
    );
    expect(r.output).toBe('OK: $(touch /tmp/outpost-pwned); `id` > x');
  });

  it('parses check_disk perfdata in bytes with thresholds, min and max', async () => {
    const r = await runCheck(def([join(PLUGINS, 'check_disk'), '-w', '1%', '-c', '0%', '-p', '/']));
    expect(r.stateName).toBe('OK');
    expect(r.output).toMatch(/^DISK OK/);
    const root = r.perfdata.find((p) => p.label === '/');
    expect(root).toBeDefined();
    expect(['B', 'MB']).toContain(root!.uom);
    expect(root!.min).toBe(0);
    expect(root!.max).toBeGreaterThan(root!.value!);
    expect(r.executionEnd).toBeGreaterThanOrEqual(r.executionStart);
  });

  it('check_tcp: OK with response time on an open port, CRITICAL on a closed one', async () => {
    const ok = await runCheck(
      def([join(PLUGINS, 'check_tcp'), '-H', '127.0.0.1', '-p', String(openPort)]),
    );
    expect(ok.stateName).toBe('OK');
    expect(ok.perfdata[0]).toMatchObject({ label: 'time', uom: 's' });
    const closed = await runCheck(
      def([join(PLUGINS, 'check_tcp'), '-H', '127.0.0.1', '-p', String(await freePort())]),
    );
    expect(closed.stateName).toBe('CRITICAL');
    expect(closed.output).toMatch(/refused/i);
  });
});

describe('edge cases', () => {
  it('exit 7 is UNKNOWN with the reason, output and perfdata kept', async () => {
    const r = await runCheck(def([join(FIXTURES, 'exit7.sh')]));
    expect(r).toMatchObject({
      state: 3,
      stateName: 'UNKNOWN',
      exitCode: 7,
      output: 'SOMETHING odd happened',
    });
    expect(r.reason).toMatch(/exit code 7/);
    expect(r.perfdata).toEqual([{ label: 'weird', value: 7, uom: '' }]);
  });

  it('a timeout kills the whole process tree and reports UNKNOWN', async () => {
    const tmp = await makeTempDir('checks-timeout');
    try {
      const pidFile = join(tmp.dir, 'grandchild.pid');
      const r = await runCheck(
        def([join(FIXTURES, 'hangs-with-child.sh'), pidFile], { timeout: 1 }),
      );
      expect(r.stateName).toBe('UNKNOWN');
      expect(r.reason).toMatch(/timed out after 1 s/);
      expect(r.output).toMatch(/^UNKNOWN - timed out/);
      const grandchild = Number(readFileSync(pidFile, 'utf8'));
      // The grandchild gets SIGKILL with the group; give the kernel a moment to reap it.
      for (let i = 0; i < 50 && alive(grandchild); i++)
        await new Promise((res) => setTimeout(res, 100));
      expect(alive(grandchild)).toBe(false);
    } finally {
      await tmp.cleanup();
    }
  });

  it('a child left behind holding the output is killed with the group at the timeout (as Icinga, the run ends at EOF)', async () => {
    const tmp = await makeTempDir('checks-leftover');
    try {
      const pidFile = join(tmp.dir, 'child.pid');
      const r = await runCheck(def([join(FIXTURES, 'leaves-child.sh'), pidFile], { timeout: 1 }));
      expect(r.stateName).toBe('UNKNOWN');
      expect(r.output).toBe('OK - parent done');
      expect(r.reason).toMatch(/timed out after 1 s: the process tree was killed/);
      const child = Number(readFileSync(pidFile, 'utf8'));
      for (let i = 0; i < 50 && alive(child); i++) await new Promise((res) => setTimeout(res, 100));
      expect(alive(child)).toBe(false);
    } finally {
      await tmp.cleanup();
    }
  });

  it('a timeout is a hard limit: a child that left the process group and holds the output is reported, not waited for', async () => {
    const tmp = await makeTempDir('checks-escaped');
    let escaped = 0;
    try {
      const pidFile = join(tmp.dir, 'escaped.pid');
      const r = await runCheck(def([join(FIXTURES, 'escapes-group.sh'), pidFile], { timeout: 1 }));
      escaped = Number(readFileSync(pidFile, 'utf8'));
      // It sleeps 30 s holding our stdout: before, the run ended only with it.
      expect(alive(escaped)).toBe(true);
      expect(r.stateName).toBe('UNKNOWN');
      expect(r.output).toBe('OK - waiting');
      expect(r.reason).toBe(
        `timed out after 1 s: the process tree was killed; left running (it left the process group and held the output): pid ${escaped} (sleep 30)`,
      );
    } finally {
      if (escaped > 0) process.kill(escaped, 'SIGKILL');
      await tmp.cleanup();
    }
  }, 20_000);

  it('a background child that closed its output is killed once the check ends', async () => {
    const tmp = await makeTempDir('checks-detached');
    try {
      const pidFile = join(tmp.dir, 'child.pid');
      const r = await runCheck(
        def([join(FIXTURES, 'detaches-child.sh'), pidFile], { timeout: 10 }),
      );
      expect(r.stateName).toBe('OK');
      expect(r.output).toBe('OK - parent done');
      const child = Number(readFileSync(pidFile, 'utf8'));
      expect(child).toBeGreaterThan(0);
      for (let i = 0; i < 50 && alive(child); i++) await new Promise((res) => setTimeout(res, 100));
      expect(alive(child)).toBe(false);
    } finally {
      await tmp.cleanup();
    }
  });

  it('caps huge output and says so', async () => {
    const r = await runCheck(
      def([join(FIXTURES, 'huge-output.sh')], { maxOutputBytes: 64 * 1024 }),
    );
    expect(r.truncated).toBe(true);
    expect(r.stateName).toBe('OK');
    expect(r.output).toBe('OK - lots of text');
    expect(r.longOutput.length).toBeLessThanOrEqual(64 * 1024);
    expect(r.reason).toMatch(/truncated/);
  });

  it('reads quoted labels, units and perfdata on later lines; bad items are reported', async () => {
    const r = await runCheck(def([join(FIXTURES, 'quoted-perfdata.sh')]));
    expect(r.stateName).toBe('WARNING');
    expect(r.output).toBe('DISK WARNING - C: is filling up');
    expect(r.longOutput).toBe('C: 81% used\nD: 12% used ');
    expect(r.perfdata).toEqual([
      { label: 'C:\\ used space', value: 81, uom: '%', warn: '80', crit: '90', min: 0, max: 100 },
      { label: "it's", value: 3, uom: 'c' },
      { label: 'D:\\ used space', value: 12, uom: '%', warn: '80', crit: '90', min: 0, max: 100 },
      { label: 'time', value: 0.25, uom: 's', warn: '1', crit: '2' },
    ]);
    expect(r.perfdataErrors).toEqual([
      { text: 'bad=1parsecs', reason: expect.stringMatching(/unit 'parsecs'/) },
    ]);
  });

  it('a missing program is UNKNOWN naming it', async () => {
    const r = await runCheck(def(['/nonexistent/check_nothing']));
    expect(r.stateName).toBe('UNKNOWN');
    expect(r.reason).toMatch(/could not start '\/nonexistent\/check_nothing'.*ENOENT/);
  });

  it('falls back to stderr when stdout is empty', async () => {
    const r = await runCheck(def([join(FIXTURES, 'stderr-only.sh')]));
    expect(r).toMatchObject({ stateName: 'CRITICAL', output: 'CRITICAL - config file missing' });
  });

  it('runs through a shell only when asked, with cwd and env', async () => {
    const tmp = await makeTempDir('checks-shell');
    try {
      const r = await runCheck(
        def(['echo "OK - $GREETING from $(pwd)" | tr a-z A-Z; exit 1'], {
          command: {
            argv: ['echo "OK - $GREETING from $(pwd)" | tr a-z A-Z; exit 1'],
            shell: true,
          },
          cwd: tmp.dir,
          env: { GREETING: 'hi' },
        }),
      );
      expect(r.stateName).toBe('WARNING');
      expect(r.output).toBe(`OK - HI FROM ${tmp.dir.toUpperCase()}`);
    } finally {
      await tmp.cleanup();
    }
  });

  it('a built-in that outlives its timeout is UNKNOWN', async () => {
    const r = await runCheck({
      name: 'slow',
      builtin: { kind: 'cpu', options: { sampleMs: 5000 } },
      timeout: 1,
      maxOutputBytes: 1024,
    });
    expect(r.stateName).toBe('UNKNOWN');
    expect(r.reason).toMatch(/timed out after 1 s/);
  });
});
