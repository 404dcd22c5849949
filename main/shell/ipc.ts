import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron';
import type { Agent } from '../core/agent.ts';
import { AgentError, toAgentError } from '../core/contract/errors.ts';
import { CALL_CHANNEL, EVENT_CHANNEL, type CallEnvelope } from '../core/contract/transport.ts';
import { isTrustedSender } from './ipc-guard.ts';

/**
 * The one generic channel derived from the contract: `agent:call` carries a
 * method name and its request, `agent.call` checks both against the AgentApi
 * schemas; every AgentEvents push goes out on `agent:event`.
 */
export function registerAgentIpc(
  ipcMain: IpcMain,
  agent: Agent,
  window: () => BrowserWindow | undefined,
  rendererUrl: string,
): () => void {
  ipcMain.handle(
    CALL_CHANNEL,
    async (event: IpcMainInvokeEvent, method: unknown, request: unknown): Promise<CallEnvelope> => {
      const win = window();
      const trusted = isTrustedSender(
        {
          frameUrl: event.senderFrame?.url,
          isMainFrameOfOurWindow:
            win !== undefined &&
            !win.isDestroyed() &&
            event.sender.id === win.webContents.id &&
            // Frames are compared by identity (process + routing id), not by object.
            event.senderFrame?.processId === win.webContents.mainFrame.processId &&
            event.senderFrame?.routingId === win.webContents.mainFrame.routingId,
        },
        rendererUrl,
      );
      if (!trusted) {
        agent.context.log.warn('IPC call refused: not from the Outpost window', {
          url: event.senderFrame?.url,
        });
        return {
          ok: false,
          error: new AgentError(
            'unauthorized',
            'IPC refused: not from the Outpost window',
          ).toJSON(),
        };
      }
      try {
        return {
          ok: true,
          result: await agent.call(method, request),
        };
      } catch (error) {
        return { ok: false, error: toAgentError(error).toJSON() };
      }
    },
  );
  const unsubscribe = agent.events.onAny((name, payload) => {
    const win = window();
    if (win !== undefined && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, name, payload);
  });
  return () => {
    ipcMain.removeHandler(CALL_CHANNEL);
    unsubscribe();
  };
}
