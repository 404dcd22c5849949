import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../main/core/agent.ts';
import { CALL_CHANNEL, type CallEnvelope } from '../../main/core/contract/transport.ts';
import { registerAgentIpc } from '../../main/shell/ipc.ts';
import { APP_RENDERER_URL } from '../../main/shell/renderer-url.ts';
import { makeTempDir } from '../peers/util.ts';

type Handler = (event: IpcMainInvokeEvent, method: unknown, request: unknown) => Promise<unknown>;

/** The main side of the call channel with Electron's objects faked at the module boundary. */
describe('IPC call channel (main process)', () => {
  const rendererUrl = APP_RENDERER_URL;
  const frame = { url: rendererUrl, processId: 7, routingId: 1 };
  const win = {
    isDestroyed: () => false,
    webContents: { id: 3, mainFrame: { processId: 7, routingId: 1 }, send: () => undefined },
  };
  let agent: Agent;
  let handler: Handler;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const temp = await makeTempDir('ipc');
    cleanup = temp.cleanup;
    agent = await Agent.open({ dataDir: temp.dir, logToFile: false, logLevel: 'error' });
    const ipcMain = {
      handle: (channel: string, h: Handler) => {
        if (channel === CALL_CHANNEL) handler = h;
      },
      removeHandler: () => undefined,
    } as unknown as IpcMain;
    registerAgentIpc(ipcMain, agent, () => win as never, rendererUrl);
  });
  afterAll(async () => {
    await agent.close();
    await cleanup();
  });

  const call = (method: unknown, request: unknown) =>
    handler(
      { sender: { id: 3 }, senderFrame: frame } as never,
      method,
      request,
    ) as Promise<CallEnvelope>;

  it('runs a contract method for our window', async () => {
    const answer = await call('getAgentInfo', {});
    expect(answer.ok).toBe(true);
  });

  it('checks the method name against the contract, since the preload no longer knows the list', async () => {
    for (const method of ['noSuchMethod', '__proto__', 'constructor', 'toString', 42, null]) {
      const answer = await call(method, {});
      expect(answer.ok).toBe(false);
      if (!answer.ok) {
        expect(answer.error.code).toBe('invalid-request');
        expect(answer.error.field).toBe('method');
      }
    }
    expect((await call('getAgentInfo', {})).ok).toBe(true);
  });
});
