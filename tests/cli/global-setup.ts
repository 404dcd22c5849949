import { ensureBuiltCli } from './built-cli.ts';

/**
 * vitest globalSetup: builds the `outpost` command the CLI tests run (when its
 * sources changed) and hands its path to the test workers, which inherit this
 * environment (./run-cli.ts).
 */
export default async function setup(): Promise<void> {
  process.env.OUTPOST_TEST_CLI = await ensureBuiltCli();
}
