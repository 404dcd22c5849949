import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { buildBridge } from './bridge.ts';

/** The preload (issue #8): exposes exactly `window.outpost`, built from the AgentApi contract (see bridge.ts). */
contextBridge.exposeInMainWorld(
  'outpost',
  buildBridge(
    (channel, method, request) => ipcRenderer.invoke(channel, method, request),
    (channel, listener) => {
      ipcRenderer.on(channel, (_event, name: string, payload: unknown) => listener(name, payload));
    },
    (file) => webUtils.getPathForFile(file),
  ),
);
