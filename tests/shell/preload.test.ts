import { describe, expect, it, vi } from 'vitest';
import { AgentError } from '../../main/core/contract/errors.ts';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../../main/core/contract/transport.ts';
import { buildBridge } from '../../preload/bridge.ts';
import { decodeBridgeError } from '../../renderer/src/transport/electron.ts';

const exposed: Array<[string, unknown]> = [];
const rendererListeners: Array<[string, (...args: unknown[]) => void]> = [];
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.push([key, value]) },
  webUtils: { getPathForFile: (file: { name: string }) => `/dropped/${file.name}` },
  ipcRenderer: {
    invoke: async () => ({ ok: true, result: 'from-main' }),
    on: (channel: string, listener: (...args: unknown[]) => void) =>
      rendererListeners.push([channel, listener]),
  },
}));

describe('preload', () => {
  it('exposes exactly window.outpost: call(), on() and pathForFile(), nothing else', async () => {
    await import('../../preload/index.ts');
    expect(exposed.map(([key]) => key)).toEqual(['outpost']);
    const bridge = exposed[0]![1] as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['call', 'on', 'pathForFile']);
    expect((bridge.pathForFile as (f: unknown) => string)({ name: 'a.txt' })).toBe(
      '/dropped/a.txt',
    );
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function');
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(rendererListeners.map(([channel]) => channel)).toEqual([EVENT_CHANNEL]);
    await expect(
      (bridge.call as (m: string, r: unknown) => Promise<unknown>)('getSettings', {}),
    ).resolves.toBe('from-main');
  });

  it('sends the method name and request on the call channel and unwraps the result', async () => {
    const invoke = vi.fn(async () => ({ ok: true, result: { thumbprint: 'abc' } }));
    const bridge = buildBridge(invoke, () => undefined);
    await expect(bridge.call('getThumbprint', {})).resolves.toEqual({ thumbprint: 'abc' });
    expect(invoke).toHaveBeenCalledWith(CALL_CHANNEL, 'getThumbprint', {});
  });

  it('carries the AgentError code and field through the Error message, and the renderer rebuilds them', async () => {
    const serialized = new AgentError('invalid-request', 'name: Too small', {
      field: 'name',
    }).toJSON();
    const bridge = buildBridge(
      async () => ({ ok: false, error: serialized }),
      () => undefined,
    );
    const error = await bridge.call('updateAgentSettings', { name: '' }).catch((e: unknown) => e);
    // contextBridge keeps only `message` of an Error crossing the worlds:
    const crossed = new Error((error as Error).message);
    const rebuilt = decodeBridgeError(crossed);
    expect(rebuilt).toBeInstanceOf(AgentError);
    expect((rebuilt as AgentError).field).toBe('name');
    expect((rebuilt as AgentError).code).toBe('invalid-request');
    expect(rebuilt.message).toBe('name: Too small');
  });

  it('delivers pushed events to the listeners of that event only, until unsubscribed', () => {
    let push: ((name: string, payload: unknown) => void) | undefined;
    const bridge = buildBridge(
      async () => undefined,
      (_channel, listener) => (push = listener),
    );
    const seen: unknown[] = [];
    const off = bridge.on('notice', (n) => seen.push(n));
    push!('notice', { title: 'a' });
    push!('log', { message: 'not for us' });
    off();
    push!('notice', { title: 'b' });
    expect(seen).toEqual([{ title: 'a' }]);
    expect(() => bridge.on('log', 'nope' as never)).toThrow(TypeError);
  });
});
