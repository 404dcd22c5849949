import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { AgentError } from '../../contract/errors.ts';

const pbkdf2Async = promisify(pbkdf2);

/** spec icinga2.md §3.3: PBKDF2-HMAC-SHA1(password = CN, salt = TicketSalt, 50000, 20 bytes). */
const ITERATIONS = 50_000;
const KEY_LENGTH = 20;

/** The value `icinga2 pki ticket --cn CN --salt SALT` prints: 40 lower-case hex characters. */
export async function computeTicket(cn: string, salt: string): Promise<string> {
  if (cn === '') throw new AgentError('invalid-request', 'cn must not be empty', { field: 'cn' });
  // `icinga2 pki ticket` refuses an empty salt too (vectors §1).
  if (salt === '')
    throw new AgentError(
      'invalid-request',
      "salt must not be empty: use the master's TicketSalt constant",
      { field: 'salt' },
    );
  // CN and salt are their raw UTF-8 bytes: no trimming, no case folding (the CN is case-sensitive).
  const key = await pbkdf2Async(
    Buffer.from(cn, 'utf8'),
    Buffer.from(salt, 'utf8'),
    ITERATIONS,
    KEY_LENGTH,
    'sha1',
  );
  return key.toString('hex');
}

/**
 * What a person pasted, as the master compares it (as-is, §3.3): `icinga2 pki
 * ticket` prints a trailing newline and people paste upper case, so trim and
 * lower-case, then insist on 40 hex digits.
 */
export function normalizeTicket(input: string, field = 'ticket'): string {
  const ticket = input.trim().toLowerCase();
  if (!/^[0-9a-f]{40}$/.test(ticket)) {
    throw new AgentError(
      'invalid-request',
      `${field} must be the 40 hex characters that 'icinga2 pki ticket --cn <cn>' prints on the master`,
      { field },
    );
  }
  return ticket;
}
