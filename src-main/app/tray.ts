// The tray icon and its menu, redrawn from a model of src-main/tray/ (a volunteer's snapshot or
// a head node's counters) as is.
import {
  Menu,
  nativeImage,
  Tray,
  type MenuItemConstructorOptions,
  type NativeImage,
} from 'electron';
import { trayIconPng, type TrayState } from '../tray/icon.ts';
import type { TrayAction, TrayMenuItem, TrayModel } from '../tray/menu-model.ts';

export interface AppTray {
  render(model: TrayModel): void;
  destroy(): void;
}

/**
 * 16 px, with the 32 px drawing as its @2x representation for HiDPI screens; on macOS a
 * template image, which the menu bar recolours for light and dark.
 */
function trayImage(state: TrayState): NativeImage {
  const template = process.platform === 'darwin';
  const image = nativeImage.createFromBuffer(trayIconPng(state, 16, { template }));
  image.addRepresentation({ scaleFactor: 2, buffer: trayIconPng(state, 32, { template }) });
  if (template) image.setTemplateImage(true);
  return image;
}

function toMenuItem(
  item: TrayMenuItem,
  onAction: (action: TrayAction) => void,
): MenuItemConstructorOptions {
  if (item.type === 'separator') return { type: 'separator' };
  const { action } = item;
  return {
    label: item.label,
    enabled: item.enabled,
    ...(action === undefined ? {} : { click: () => onAction(action) }),
  };
}

export function createAppTray(onAction: (action: TrayAction) => void): AppTray {
  const tray = new Tray(trayImage('offline'));
  // Windows users open a tray app with a click; elsewhere a click opens the menu.
  if (process.platform === 'win32') tray.on('click', () => onAction('open'));
  let shown: TrayState | undefined;
  return {
    render(model) {
      if (model.state !== shown) tray.setImage(trayImage(model.state));
      shown = model.state;
      tray.setToolTip(model.tooltip);
      tray.setContextMenu(
        Menu.buildFromTemplate(model.items.map((item) => toMenuItem(item, onAction))),
      );
    },
    destroy: () => tray.destroy(),
  };
}
