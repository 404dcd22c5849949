import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSecretName } from '../../../../main/core/secrets.ts';
import type { TargetRecord } from '../../../../main/core/contract/targets.ts';
import { postCheckResult } from '../../../../main/core/protocols/icinga/rest.ts';
import { IcingaMaster, icingaMissing } from '../../../peers/icinga2.ts';
import { TestCa } from '../../../peers/pki.ts';
import { freePort } from '../../../peers/util.ts';
import {
  checkResultItem,
  deliveryContext,
  openIcingaAgent,
  pairWithTicket,
  type TestAgent,
} from './helpers.ts';

const skip = icingaMissing();
const CN = 'agent1.test';
const PASSWORD = 'rest-secret-9f2c';

describe.skipIf(skip !== undefined)(
  'Icinga REST fallback: POST /v1/actions/process-check-result (spec §5)',
  () => {
    let master: IcingaMaster;
    let t: TestAgent;
    let record: () => TargetRecord;

    beforeAll(async () => {
      master = await IcingaMaster.start({
        agents: [{ cn: CN, services: ['passive', 'rest'] }],
        extraConfig: `
object ApiUser "agent1-cert" {
  client_cn = "${CN}"
  permissions = [ { permission = "actions/process-check-result"; filter = {{ host.name == "${CN}" }} } ]
}
object ApiUser "agent1-basic" { password = "${PASSWORD}"; permissions = [ "actions/process-check-result" ] }
`,
      });
      t = await openIcingaAgent('icinga-rest');
      await pairWithTicket(t.agent, master, 'm', CN);
      record = () => t.agent.context.targets.get('m');
    }, 60_000);
    afterAll(async () => {
      await t?.close();
      await master?.stop();
    });

    it('authenticates with the client certificate (ApiUser client_cn) and the master stores the result', async () => {
      await t.agent.api.setIcingaRest({ name: 'm', transport: 'rest' });
      await t.driver.deliver(
        record(),
        checkResultItem('m', {
          host: CN,
          service: 'rest',
          state: 2,
          output: 'via REST',
          performanceData: ['x=1;2;3'],
        }),
        deliveryContext(),
      );
      expect(await master.lastCheckResult(CN, 'rest')).toMatchObject({
        output: 'via REST',
        state: 2,
        performance_data: ['x=1;2;3'],
        check_source: CN,
      });
    });

    it('authenticates with basic auth, the password kept in the secret store and out of settings.json', async () => {
      await t.agent.api.setIcingaRest({
        name: 'm',
        transport: 'rest',
        restUser: 'agent1-basic',
        restPassword: PASSWORD,
      });
      expect(await t.agent.context.secrets.get(targetSecretName('m', 'password'))).toBe(PASSWORD);
      expect(await readFile(t.agent.context.paths.settingsFile, 'utf8')).not.toContain(PASSWORD);
      await t.driver.deliver(
        record(),
        checkResultItem('m', { host: CN, state: 2, output: 'host down via REST' }),
        deliveryContext(),
      );
      const host = await master.rest(
        'GET',
        `/v1/objects/hosts/${CN}?attrs=state&attrs=last_check_result`,
      );
      const attrs = (
        host.body as {
          results: Array<{ attrs: { state: number; last_check_result: { output: string } } }>;
        }
      ).results[0]!.attrs;
      expect(attrs).toMatchObject({
        state: 1,
        last_check_result: { output: 'host down via REST' },
      });
    });

    it('reports a wrong password and an unknown object as permanent failures with the reason', async () => {
      await t.agent.api.setIcingaRest({
        name: 'm',
        transport: 'rest',
        restUser: 'agent1-basic',
        restPassword: 'wrong',
      });
      await expect(
        t.driver.deliver(
          record(),
          checkResultItem('m', { host: CN, service: 'rest', output: 'x' }),
          deliveryContext(),
        ),
      ).rejects.toMatchObject({
        code: 'unauthorized',
        transient: false,
      });
      await t.agent.api.setIcingaRest({
        name: 'm',
        transport: 'rest',
        restUser: 'agent1-basic',
        restPassword: PASSWORD,
      });
      await expect(
        t.driver.deliver(
          record(),
          checkResultItem('m', { host: CN, service: 'nope', output: 'x' }),
          deliveryContext(),
        ),
      ).rejects.toMatchObject({
        code: 'refused',
        transient: false,
        message: expect.stringContaining("'agent1.test!nope'"),
      });
    });
  },
);

describe('Icinga REST fallback against a hostile server', () => {
  it('refuses an answer over 1 MiB before it grows further', async () => {
    const ca = TestCa.create('Icinga CA');
    const leaf = ca.issue({ cn: 'master.test', altNames: ['master.test'] });
    let sent = 0;
    const server = createServer({ key: leaf.keyPem, cert: leaf.certPem }, (req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      // Endless: only the client's cap ends this answer.
      const more = (): void => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once('drain', more);
      };
      res.on('error', () => undefined);
      more();
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const result = checkResultItem('m', { host: 'h' }).payload;
      if (result.kind !== 'check-result') throw new Error('not a check result');
      await expect(
        postCheckResult(
          { host: '127.0.0.1', port, endpoint: 'master.test', caPem: ca.certPem },
          result.result,
          'agent1.test',
        ),
      ).rejects.toMatchObject({
        code: 'protocol',
        message: expect.stringMatching(/more than 1048576 bytes/),
      });
      expect(sent).toBeLessThan(64 * 1024 * 1024);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
