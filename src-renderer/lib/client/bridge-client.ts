import {
  ApiCallError,
  type ApiEvent,
  type ApiEvents,
  type ApiResult,
  type KestrelBridge,
  type KestrelClient,
} from '../../../shared/api.ts';

/**
 * KestrelClient over a bridge the host page provides as `window.kestrel` (the Electron preload,
 * over ipcRenderer): the same envelopes, so errors arrive with their codes. The bridge's channel
 * is always up, so `app:connection` never reports it lost.
 */
export function createBridgeClient(bridge: KestrelBridge): KestrelClient {
  return {
    async call(method, ...args) {
      const reply = await bridge.invoke(method, args);
      if (reply.ok) return reply.result as ApiResult<typeof method>;
      throw new ApiCallError(reply.error);
    },
    on<E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void) {
      return bridge.on(event, (payload) => listener(payload as ApiEvents[E]));
    },
  };
}
