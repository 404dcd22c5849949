import { join } from 'node:path';
import type { IpcMain, IpcMainInvokeEvent, BrowserWindow } from 'electron';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../main/core/agent.ts';
import { agentContract } from '../../main/core/contract/index.ts';
import { registerAgentIpc } from '../../main/shell/ipc.ts';
import { CALL_CHANNEL, type CallEnvelope } from '../../main/core/contract/transport.ts';
import { APP_RENDERER_URL } from '../../main/shell/renderer-url.ts';
import { makeTempDir } from '../peers/util.ts';

/**
 * Issue #14: the IPC way in. Electron's runtime is not here, so ipcMain is a
 * stand-in that keeps the handler `registerAgentIpc` installs; every value
 * crosses a structured clone first, as IPC copies it.
 */
const RENDERER = APP_RENDERER_URL;

type Handler = (event: IpcMainInvokeEvent, method: unknown, request: unknown) => Promise<unknown>;

describe('the IPC call channel under hostile envelopes', () => {
  let agent: Agent;
  let cleanup: () => Promise<void>;
  let unregister: () => void;
  const handlers = new Map<string, Handler>();
  const window = {
    isDestroyed: () => false,
    webContents: { id: 1, mainFrame: { processId: 7, routingId: 9 }, send: () => undefined },
  } as unknown as BrowserWindow;
  const ourFrame = {
    sender: { id: 1 },
    senderFrame: { url: `${RENDERER}#/queue`, processId: 7, routingId: 9 },
  } as unknown as IpcMainInvokeEvent;

  const invoke = (method: unknown, request: unknown, event = ourFrame): Promise<CallEnvelope> =>
    handlers.get(CALL_CHANNEL)!(
      event,
      structuredClone(method),
      structuredClone(request),
    ) as Promise<CallEnvelope>;

  beforeAll(async () => {
    const temp = await makeTempDir('ipc-fuzz');
    cleanup = temp.cleanup;
    agent = await Agent.open({ dataDir: join(temp.dir, 'data'), logToFile: false });
    const ipcMain = {
      handle: (channel: string, handler: Handler) => handlers.set(channel, handler),
      removeHandler: (channel: string) => handlers.delete(channel),
    } as unknown as IpcMain;
    unregister = registerAgentIpc(ipcMain, agent, () => window, RENDERER);
  });
  afterAll(async () => {
    unregister?.();
    await agent?.close();
    await cleanup?.();
  });

  it('answers any method name and request with an invalid-request envelope, never a throw (property)', async () => {
    const cloneable = fc.oneof(
      fc.anything({
        maxDepth: 3,
        withDate: true,
        withMap: true,
        withSet: true,
        withTypedArray: true,
        withBigInt: true,
        withNullPrototype: true,
      }),
      fc.uint8Array({ maxLength: 64 }),
    );
    const method = fc.oneof(
      fc.constantFrom(
        '__proto__',
        'constructor',
        'toString',
        'hasOwnProperty',
        'valueOf',
        'prototype',
        '',
      ),
      fc.string({ maxLength: 40 }).filter((s) => !Object.hasOwn(agentContract, s)),
      cloneable.filter((v) => typeof v !== 'string'),
    );
    await fc.assert(
      fc.asyncProperty(method, cloneable, async (m, request) => {
        const envelope = await invoke(m, request);
        return (
          !envelope.ok &&
          envelope.error.code === 'invalid-request' &&
          envelope.error.field === 'method' &&
          envelope.error.message.length < 200
        );
      }),
      {
        numRuns: 300,
        // Found by CI: a method whose own `toString` is not a function must not be stringified.
        examples: [
          [{ toString: 0 }, 0],
          [{ valueOf: 'x', toString: null }, {}],
        ],
      },
    );
    // A request of the wrong shape for a real method is refused. Values without own keys
    // (null, {}, an empty Set or Map, a Date) read as "no request", which these methods accept.
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('getAgentInfo', 'listQueue', 'getQueueItem', 'updateAgentSettings'),
        cloneable.filter(
          (r) =>
            r !== null &&
            r !== undefined &&
            !(typeof r === 'object' && Object.keys(r).length === 0),
        ),
        async (m, request) => {
          const envelope = await invoke(m, request);
          return !envelope.ok && envelope.error.code === 'invalid-request';
        },
      ),
      { numRuns: 300 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await invoke('getAgentInfo', {})).toMatchObject({
      ok: true,
      result: { version: agent.context.version },
    });
  });

  it('quotes a huge or non-string method name short, saying what was wrong', async () => {
    const huge = await invoke('m'.repeat(1_000_000), {});
    expect(huge).toMatchObject({ ok: false, error: { code: 'invalid-request', field: 'method' } });
    expect(!huge.ok && huge.error.message.length).toBeLessThan(200);
    expect(await invoke('__proto__', { polluted: true })).toMatchObject({
      ok: false,
      error: { message: "unknown method '__proto__'", field: 'method' },
    });
  });

  it('refuses a frame that is not our window whatever it sends, and still serves ours', async () => {
    const iframe = {
      ...ourFrame,
      senderFrame: { url: 'https://evil.example/', processId: 7, routingId: 10 },
    } as unknown as IpcMainInvokeEvent;
    expect(await invoke('getAgentInfo', {}, iframe)).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    expect(await invoke('getAgentInfo', undefined)).toMatchObject({ ok: true });
  });
});
