import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressWriter } from '../../main/cli/progress.ts';
import { freePort, makeTempDir } from '../peers/util.ts';
import { runCli } from './run-cli.ts';

function writer(isTerminal: boolean): { progress: ProgressWriter; written: () => string } {
  let text = '';
  return {
    progress: new ProgressWriter((t) => (text += t), isTerminal),
    written: () => text,
  };
}

describe('CLI progress on stderr', () => {
  it('off a terminal: every step is one line, live status is left out', () => {
    const { progress, written } = writer(false);
    progress.line('✓ fetch-master-certificate');
    progress.status('[###...] 1 KiB/3 KiB');
    progress.line('✓ agent-certificate\n');
    progress.prompt('Trust this key? [y/N] ');
    progress.line('✗ request-certificate: refused');
    progress.end();
    expect(written()).toBe(
      '✓ fetch-master-certificate\n✓ agent-certificate\nTrust this key? [y/N] ✗ request-certificate: refused\n',
    );
  });

  it('on a terminal: the status is redrawn in place and closed before the next line', () => {
    const { progress, written } = writer(true);
    progress.status('[#..] 1/3');
    progress.status('[##.] 2/3');
    progress.line('delivered');
    progress.status('[###] 3/3');
    progress.end();
    progress.end();
    expect(written()).toBe('\r[#..] 1/3\x1b[K\r[##.] 2/3\x1b[K\ndelivered\n\r[###] 3/3\x1b[K\n');
  });

  describe('through the real command', () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ dir, cleanup } = await makeTempDir('progress'));
    });
    afterAll(() => cleanup());

    it('`outpost icinga pair` with stderr in a pipe: the failed step and the error are separate lines', async () => {
      const port = await freePort();
      const result = await runCli([
        'icinga',
        'pair',
        'master1',
        '--master',
        `127.0.0.1:${port}`,
        '--trust-fingerprint',
        'ab'.repeat(32),
        '--data-dir',
        dir,
      ]);
      expect(result.code).toBe(1);
      const lines = result.stderr.split('\n');
      expect(lines[0]).toMatch(/^✗ fetch-master-certificate: .*ECONNREFUSED.*firewall$/);
      expect(lines[1]).toMatch(/^outpost: /);
      expect(result.stderr.endsWith('\n')).toBe(true);
    });
  });
});
