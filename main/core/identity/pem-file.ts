import { readFile } from 'node:fs/promises';
import { AgentError } from '../contract/errors.ts';

/**
 * Keys and certificates cross the contract as paths (`…File`), read here by
 * the agent, which runs on the same machine as every UI: one convention for
 * every protocol, and no PEM text in request logs.
 */
export async function readPemFile(file: string, field: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new AgentError(
      'invalid-request',
      `${field} '${file}' cannot be read: ${(error as Error).message}`,
      { field, cause: error },
    );
  }
}
