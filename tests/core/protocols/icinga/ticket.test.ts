import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeTicket, normalizeTicket } from '../../../../main/core/protocols/icinga/ticket.ts';
import { icingaMissing, icingaPkiTicket } from '../../../peers/icinga2.ts';
import { VECTORS_DIR } from '../../../vectors.ts';

/** The table of vectors §1: | `CN` | `salt` | `ticket` |. */
function ticketVectors(): Array<{ cn: string; salt: string; ticket: string }> {
  const text = readFileSync(join(VECTORS_DIR, 'icinga2.md'), 'utf8');
  return [...text.matchAll(/^\| `([^`]+)` \| `([^`]+)` \| `([0-9a-f]{40})`/gm)].map((m) => ({
    cn: m[1]!,
    salt: m[2]!,
    ticket: m[3]!,
  }));
}

describe('Icinga tickets (spec §3.3)', () => {
  it('matches every vector computed by icinga2 pki ticket', async () => {
    const vectors = ticketVectors();
    expect(vectors.length).toBe(8);
    for (const v of vectors) expect(await computeTicket(v.cn, v.salt)).toBe(v.ticket);
  });

  it.skipIf(icingaMissing() !== undefined)(
    'equals `icinga2 pki ticket` for CNs of every shape',
    async () => {
      const cases: Array<[string, string]> = [
        ['desktop-01.example.com', 'abc'],
        ['UPPER.Case.Test', 'peer-test-ticket-salt'],
        ['münchen.example', 'sälz'],
        ['a', 'b'],
        ['very-long-name-'.repeat(10), '0123456789abcdef0123456789abcdef'],
      ];
      for (const [cn, salt] of cases) {
        expect(await computeTicket(cn, salt)).toBe(await icingaPkiTicket(cn, salt));
      }
    },
  );

  it('normalizes what people paste and rejects what the master would refuse', () => {
    expect(normalizeTicket(' E28CFFCB4FDAEF877B7EDC47BA55F5CD097AD940\n')).toBe(
      'e28cffcb4fdaef877b7edc47ba55f5cd097ad940',
    );
    expect(() => normalizeTicket('e28cffcb')).toThrow(/40 hex/);
  });

  it('refuses an empty salt like icinga2 does', async () => {
    await expect(computeTicket('x', '')).rejects.toMatchObject({ field: 'salt' });
  });
});
