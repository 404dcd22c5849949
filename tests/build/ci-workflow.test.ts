import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * .github/workflows/ci.yml (issue #15 "Real launches in CI"): the three
 * runners, the packaging step and the `_electron` tests. js-yaml comes with
 * electron-builder, as the release workflow test (config.test.ts) uses it.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
}
interface Job {
  'runs-on'?: string;
  container?: { image: string; options?: string };
  steps?: Step[];
  needs?: string[];
  uses?: string;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

async function workflow(name: string): Promise<Workflow> {
  return yaml.load(await readFile(join(ROOT, '.github', 'workflows', name), 'utf8')) as Workflow;
}

function runs(job: Job): string {
  return (job.steps ?? []).map((s) => s.run ?? '').join('\n');
}

describe('ci.yml', () => {
  it('runs on every push and pull request, and can be called by the release', async () => {
    const ci = await workflow('ci.yml');
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push', 'workflow_call']);
  });

  it('has an Ubuntu, a Windows and a macOS job', async () => {
    const ci = await workflow('ci.yml');
    expect(
      Object.fromEntries(Object.entries(ci.jobs).map(([name, job]) => [name, job['runs-on']])),
    ).toEqual({ linux: 'ubuntu-latest', windows: 'windows-latest', macos: 'macos-latest' });
  });

  it('Linux: the packages of .ci/run, the real runtime, the full suite and the _electron tests under xvfb-run', async () => {
    const linux = (await workflow('ci.yml')).jobs.linux!;
    const ciRun = await readFile(join(ROOT, '.ci', 'run'), 'utf8');
    const apt = (text: string): string[] =>
      /apt-get install((?:[^\n\\]|\\\n)*)/
        .exec(text)![1]!
        .replace(/>\/dev\/null/, '')
        .split(/[\s\\]+/)
        .filter((w) => /^[a-z0-9][a-z0-9.+-]+$/.test(w));
    expect(apt(ciRun)).toEqual(expect.arrayContaining(['icinga2', 'rabbitmq-server', 'procps']));
    expect(apt(runs(linux))).toEqual(expect.arrayContaining(apt(ciRun)));
    const commands = runs(linux);
    expect(commands).toContain('npm ci');
    expect(commands).toMatch(/install-electron/);
    expect(commands).toContain('npm run lint');
    expect(commands).toContain('npm run typecheck');
    expect(commands).toContain('npm run test:unit');
    expect(commands).toMatch(/xvfb-run -a npm run test:e2e/);
    // The e2e suite includes the _electron tests; nothing may skip the runtime there.
    const playwright = await readFile(join(ROOT, 'playwright.config.ts'), 'utf8');
    expect(playwright).toContain("testDir: 'tests/e2e'");
    expect(JSON.stringify(linux)).not.toContain('ELECTRON_SKIP_BINARY_DOWNLOAD');
  });

  for (const [job, os, executable] of [
    ['windows', 'win', /dist\\win-unpacked\\Outpost\.exe$/],
    ['macos', 'mac', /dist\/mac-arm64\/Outpost\.app\/Contents\/MacOS\/Outpost$/],
  ] as const) {
    it(`${job}: unit tests, the app packaged unsigned, and the packaged-app smoke`, async () => {
      const spec = (await workflow('ci.yml')).jobs[job]!;
      const steps = spec.steps ?? [];
      const commands = runs(spec);
      expect(commands).toContain('npm ci');
      expect(commands).toMatch(/npx vitest run tests\/shell /);
      const packaging = steps.findIndex((s) =>
        new RegExp(
          `electron-builder --config build/electron-builder\\.config\\.cjs --${os} \\w+ .*--publish never`,
        ).test(s.run ?? ''),
      );
      expect(packaging).toBeGreaterThan(-1);
      expect(JSON.stringify(steps[packaging])).not.toMatch(/CSC_LINK|AZURE_|secrets\./);
      const smoke = steps.findIndex((s) =>
        /npx playwright test tests\/e2e\/electron\/packaged\.spec\.ts/.test(s.run ?? ''),
      );
      expect(smoke).toBeGreaterThan(packaging);
      expect(steps[smoke]!.env?.OUTPOST_PACKAGED_APP).toMatch(executable);
    });
  }

  it('the smoke spec it runs is the packaged-app one, and it checks what the issue lists', async () => {
    const spec = await readFile(join(ROOT, 'tests', 'e2e', 'electron', 'packaged.spec.ts'), 'utf8');
    expect(spec).toContain('process.env.OUTPOST_PACKAGED_APP');
    for (const check of [
      'expectOverviewFromAppScheme',
      'expectTrayUp',
      'expectDeliveryAndNotification',
    ])
      expect(spec).toContain(check);
  });
});

describe('release.yml', () => {
  it('builds nothing before ci.yml is green', async () => {
    const release = await workflow('release.yml');
    expect(release.jobs.ci).toEqual({ uses: './.github/workflows/ci.yml' });
    for (const job of ['windows', 'macos', 'linux'])
      expect(release.jobs[job]!.needs).toEqual(['ci']);
  });
});
