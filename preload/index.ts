import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { buildBridge } from './bridge.ts';

/** The preload (issues #8, #16): exposes exactly `window.outpost` (call, on, pathForFile; see bridge.ts). */
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
