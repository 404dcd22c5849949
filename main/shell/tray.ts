import { Menu, nativeImage, Tray } from 'electron';
import { join } from 'node:path';
import { trayMenuTemplate, type TrayActions, type TrayView } from './tray-menu.ts';
import { trayIconFile } from './tray-state.ts';

/**
 * The tray icon and its menu. A refresh changes only what changed, and never
 * rebuilds the menu while it is open (issue #15 item 8: replacing an open
 * context menu closes it under the user's pointer); the latest view is
 * applied when it closes.
 */
export class OutpostTray {
  readonly #tray: Tray;
  readonly #iconsDir: string;
  readonly #actions: TrayActions;
  #icon = '';
  #tooltip = '';
  #menuKey = '';
  #menuOpen = false;
  #pending: TrayView | undefined;

  constructor(iconsDir: string, actions: TrayActions) {
    this.#iconsDir = iconsDir;
    this.#actions = actions;
    this.#icon = trayIconFile('ok', process.platform);
    this.#tray = new Tray(this.#image(this.#icon));
    this.#tray.on('click', actions.open);
  }

  /** For the desktop tests: the tray really exists. */
  get tooltip(): string {
    return this.#tooltip;
  }

  update(view: TrayView): void {
    if (this.#menuOpen) {
      this.#pending = view;
      return;
    }
    const icon = trayIconFile(view.state, process.platform);
    if (icon !== this.#icon) this.#tray.setImage(this.#image(icon));
    this.#icon = icon;
    const tooltip = view.labels.tooltip[view.state];
    if (tooltip !== this.#tooltip) this.#tray.setToolTip(tooltip);
    this.#tooltip = tooltip;
    const menuKey = JSON.stringify(view);
    if (menuKey === this.#menuKey) return;
    this.#menuKey = menuKey;
    const menu = Menu.buildFromTemplate(trayMenuTemplate(view, this.#actions));
    menu.on('menu-will-show', () => {
      this.#menuOpen = true;
    });
    menu.on('menu-will-close', () => {
      this.#menuOpen = false;
      const pending = this.#pending;
      this.#pending = undefined;
      if (pending !== undefined) this.update(pending);
    });
    this.#tray.setContextMenu(menu);
  }

  destroy(): void {
    this.#tray.destroy();
  }

  #image(file: string): Electron.NativeImage {
    // Every tray image has an @2x sibling, which nativeImage picks up on high-DPI screens.
    return nativeImage.createFromPath(join(this.#iconsDir, file));
  }
}
