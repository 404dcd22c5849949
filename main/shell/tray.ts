import { Menu, nativeImage, Tray } from 'electron';
import { join } from 'node:path';
import { trayMenuTemplate, type TrayActions, type TrayView } from './tray-menu.ts';
import { trayIconFile, type TrayState } from './tray-state.ts';

export class OutpostTray {
  readonly #tray: Tray;
  readonly #iconsDir: string;
  readonly #actions: TrayActions;

  constructor(iconsDir: string, actions: TrayActions) {
    this.#iconsDir = iconsDir;
    this.#actions = actions;
    this.#tray = new Tray(this.#icon('ok'));
    this.#tray.on('click', actions.open);
  }

  update(view: TrayView): void {
    this.#tray.setImage(this.#icon(view.state));
    this.#tray.setToolTip(view.labels.tooltip[view.state]);
    this.#tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(view, this.#actions)));
  }

  destroy(): void {
    this.#tray.destroy();
  }

  #icon(state: TrayState): Electron.NativeImage {
    // Every tray image has an @2x sibling, which nativeImage picks up on high-DPI screens.
    return nativeImage.createFromPath(join(this.#iconsDir, trayIconFile(state, process.platform)));
  }
}
