// Electron's Tray, Menu and nativeImage for the main process under test: what the app puts in
// the tray (its icon's PNGs, tooltip and menu) goes to the harness; the harness clicks items by
// label, as a user would.
import { EventEmitter } from 'node:events';
import { listen, send } from './channel.ts';

export class NativeImage {
  readonly reps = new Map<number, Buffer>();
  template = false;
  constructor(buffer: Buffer) {
    this.reps.set(1, buffer);
  }
  addRepresentation({ scaleFactor, buffer }: { scaleFactor: number; buffer: Buffer }): void {
    this.reps.set(scaleFactor, buffer);
  }
  setTemplateImage(template: boolean): void {
    this.template = template;
  }
  isTemplateImage(): boolean {
    return this.template;
  }
}
export const nativeImage = { createFromBuffer: (buffer: Buffer) => new NativeImage(buffer) };

interface MenuItem {
  label?: string;
  enabled?: boolean;
  type?: string;
  click?: () => void;
}
export class Menu {
  readonly items: MenuItem[];
  constructor(items: MenuItem[]) {
    this.items = items;
  }
  static buildFromTemplate(template: MenuItem[]): Menu {
    return new Menu(template);
  }
}

let menu: Menu | undefined;
export class Tray extends EventEmitter {
  constructor(image: NativeImage) {
    super();
    this.setImage(image);
  }
  setImage(image: NativeImage): void {
    const png = image.reps.get(1);
    if (png === undefined) throw new Error('a tray image needs its 1x representation');
    send({ type: 'tray:image', png, png2x: image.reps.get(2), template: image.template });
  }
  setToolTip(text: string): void {
    send({ type: 'tray:tooltip', text });
  }
  setContextMenu(next: Menu): void {
    menu = next;
    const items = next.items.map((i) => ({
      label: i.label ?? '',
      enabled: i.enabled ?? true,
      type: i.type ?? 'normal',
    }));
    send({ type: 'tray:menu', items });
  }
  destroy(): void {
    menu = undefined;
    send({ type: 'tray:destroy' });
  }
}
listen('tray:click', ({ label }) => {
  const item = menu?.items.find((i) => i.label === label);
  if (item?.enabled === false) return; // a disabled item does nothing, as in a real menu
  item?.click?.();
});
