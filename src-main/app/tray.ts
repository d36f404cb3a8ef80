// The tray icon and its menu, redrawn from the volunteer's snapshot through the pure models in
// src-main/tray/.
import {
  Menu,
  nativeImage,
  Tray,
  type MenuItemConstructorOptions,
  type NativeImage,
} from 'electron';
import type { VolunteerSnapshot, VolunteerState } from '../../shared/api.ts';
import { trayIconPng } from '../tray/icon.ts';
import { trayModel, type TrayAction, type TrayMenuItem } from '../tray/menu-model.ts';

export interface AppTray {
  render(snapshot: VolunteerSnapshot): void;
  destroy(): void;
}

/** 16 px, with the 32 px drawing as its @2x representation for HiDPI screens. */
function trayImage(state: VolunteerState): NativeImage {
  const image = nativeImage.createFromBuffer(trayIconPng(state, 16));
  image.addRepresentation({ scaleFactor: 2, buffer: trayIconPng(state, 32) });
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
  return {
    render(snapshot) {
      const model = trayModel(snapshot);
      tray.setImage(trayImage(snapshot.state));
      tray.setToolTip(model.tooltip);
      tray.setContextMenu(
        Menu.buildFromTemplate(model.items.map((item) => toMenuItem(item, onAction))),
      );
    },
    destroy: () => tray.destroy(),
  };
}
