import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

/** Lints a fixture as if it lived at `asPath`, where the boundary rules apply. */
async function lintAs(fixture: string, asPath: string): Promise<string[]> {
  const code = await readFile(join(root, 'tests', 'fixtures', 'lint', fixture), 'utf8');
  const [result] = await eslint.lintText(code, { filePath: join(root, asPath) });
  return (result?.messages ?? [])
    .filter((m) => m.severity === 2)
    .map((m) => `${m.ruleId}: ${m.message}`);
}

describe('architecture boundaries enforced by lint', () => {
  it('rejects an electron import under main/core', async () => {
    const errors = await lintAs('core-imports-electron.ts', 'main/core/lint-fixture.ts');
    expect(
      errors.some((e) => e.startsWith('no-restricted-imports') && e.includes('plain Node')),
    ).toBe(true);
  });

  it('allows the same electron import under main/shell', async () => {
    const errors = await lintAs('core-imports-electron.ts', 'main/shell/lint-fixture.ts');
    expect(errors.filter((e) => e.includes('restricted'))).toEqual([]);
  });

  it('rejects Node built-ins and main/ modules in the renderer', async () => {
    const errors = await lintAs('renderer-imports-node.ts', 'renderer/src/lint-fixture.ts');
    expect(errors.some((e) => e.includes("'node:fs'"))).toBe(true);
    expect(errors.some((e) => e.includes('window.outpost'))).toBe(true);
  });

  it('lets the renderer import types from the API contract', async () => {
    const errors = await lintAs(
      'renderer-imports-contract-types.ts',
      'renderer/src/lint-fixture.ts',
    );
    expect(errors).toEqual([]);
  });

  it("lets the renderer import values only from the contract's import-free ports.ts", async () => {
    const errors = await lintAs(
      'renderer-imports-contract-values.ts',
      'renderer/src/lint-fixture.ts',
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('contract/tentacle.ts');
    expect(errors[0]).toContain('only import types');
  });

  it('rejects Node built-ins in the API contract, which the sandboxed preload bundles', async () => {
    const errors = await lintAs('renderer-imports-node.ts', 'main/core/contract/lint-fixture.ts');
    expect(errors.some((e) => e.includes("'node:fs'") && e.includes('sandboxed preload'))).toBe(
      true,
    );
    const elsewhere = await lintAs('renderer-imports-node.ts', 'main/core/queue/lint-fixture.ts');
    expect(elsewhere.filter((e) => e.includes('sandboxed preload'))).toEqual([]);
  });

  it('keeps the contract a leaf: zod and itself only', async () => {
    const errors = await lintAs('contract-imports-core.ts', 'main/core/contract/lint-fixture.ts');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('settings/settings.ts');
    expect(errors[0]).toContain('is a leaf');
  });

  it('lets the preload import the contract but not the agent', async () => {
    const errors = await lintAs('preload-imports-core.ts', 'preload/lint-fixture.ts');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('only the API contract');
  });

  it('keeps the CLI an adapter: the agent, the contract and CLI modules, no protocol internals (type imports included)', async () => {
    const errors = await lintAs('cli-imports-protocol.ts', 'main/cli/commands/lint-fixture.ts');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('protocols/gorgone/config.ts');
    expect(errors[1]).toContain('protocols/icinga/config.ts');
    for (const error of errors)
      expect(error).toContain('The CLI is an adapter: call contract methods (main/core/contract)');
    const core = await lintAs('cli-imports-protocol.ts', 'main/core/checks/lint-fixture.ts');
    expect(core.filter((e) => e.includes('The CLI is an adapter'))).toEqual([]);
  });
});
