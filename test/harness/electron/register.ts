// `node --import ./register.ts src-main/app/main.ts`: the module name `electron` resolves to the
// fake (fake-electron.ts) in this process only; nothing in src-main knows.
import { registerHooks } from 'node:module';

const FAKE = new URL('./fake-electron.ts', import.meta.url).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'electron') return { url: FAKE, shortCircuit: true };
    return nextResolve(specifier, context);
  },
});
