import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../main/core/agent.ts';
import { expiryNotices, NoticeGate, noticeFromEvent } from '../../main/shell/notices.ts';
import { TestCa } from '../peers/pki.ts';
import { makeTempDir } from '../peers/util.ts';

describe('desktop notifications', () => {
  let agent: Agent;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const temp = await makeTempDir('notices');
    cleanup = temp.cleanup;
    agent = await Agent.open({ dataDir: join(temp.dir, 'data'), logToFile: false });
    const ca = TestCa.create('Notice CA');
    const soon = ca.issue({ cn: 'ws-soon', days: 12, startOffsetDays: -1, clientAuth: true });
    const later = ca.issue({ cn: 'ws-later', days: 200, startOffsetDays: -1, clientAuth: true });
    await agent.context.identity.saveCertificates('soon', {
      certPem: soon.certPem,
      caPem: ca.certPem,
    });
    await agent.context.identity.saveCertificates('later', {
      certPem: later.certPem,
      caPem: ca.certPem,
    });
  });
  afterAll(async () => {
    await agent?.close();
    await cleanup?.();
  });

  it('warns about a client certificate expiring within 30 days, once per day', async () => {
    const identity = await agent.api.getIdentity({});
    const notices = expiryNotices(identity, '2026-11-22');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.title).toMatch(/^The certificate of soon expires in 1[01] days$/);
    expect(notices[0]!.body).toContain('ws-soon');
    const gate = new NoticeGate();
    expect(gate.admit(notices[0])).toBeDefined();
    expect(gate.admit(expiryNotices(identity, '2026-11-22')[0])).toBeUndefined();
    expect(gate.admit(expiryNotices(identity, '2026-11-23')[0])).toBeDefined();
  });

  it('tells that a pairing waits for the admin, with the detail the core gave (the command)', () => {
    const notice = noticeFromEvent('pairing.step', {
      target: 'ic',
      kind: 'icinga',
      step: 'request-certificate',
      status: 'waiting',
      detail: 'run on the master: icinga2 ca sign 0a1b',
    });
    expect(notice).toMatchObject({
      title: "Pairing ic waits for the server's admin",
      body: 'run on the master: icinga2 ca sign 0a1b',
    });
    expect(
      noticeFromEvent('pairing.step', {
        target: 'ic',
        kind: 'icinga',
        step: 'verify',
        status: 'done',
      }),
    ).toBeUndefined();
  });

  it('tells that an item failed permanently and is kept for a retry', () => {
    const notice = noticeFromEvent('queue.item', {
      id: 'q1',
      target: 'pandora',
      state: 'failed',
      attempts: 1,
      lastError: "SEND ERR: file name 'a|b' refused",
    });
    expect(notice).toMatchObject({ title: 'Delivery to pandora failed' });
    expect(notice?.body).toContain("file name 'a|b' refused");
    expect(
      noticeFromEvent('queue.item', {
        id: 'q1',
        target: 'pandora',
        state: 'delivered',
        attempts: 1,
      }),
    ).toBeUndefined();
  });

  it("shows the core's own notices as they are, and nothing for other events", () => {
    expect(
      noticeFromEvent('notice', {
        level: 'error',
        title: 'Delivery failed',
        body: 'item 12 to ic was refused',
      }),
    ).toMatchObject({
      title: 'Delivery failed',
      body: 'item 12 to ic was refused',
    });
    expect(
      noticeFromEvent('log', { time: '', level: 'info', scope: 'x', message: 'm' }),
    ).toBeUndefined();
  });
});
