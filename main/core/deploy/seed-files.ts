import { AgentError } from '../contract/errors.ts';
import { readPemFile } from '../identity/pem-file.ts';
import { parseCertificate } from '../identity/x509.ts';

/** A PEM certificate file a seed parameter names. */
export async function readSeedCertificate(path: string, field: string): Promise<string> {
  const pem = await readPemFile(path, field);
  try {
    parseCertificate(pem);
  } catch (error) {
    throw new AgentError(
      'invalid-request',
      `${field}: '${path}' is not a PEM certificate: ${(error as Error).message}`,
      { field },
    );
  }
  return pem;
}
