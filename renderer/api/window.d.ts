/** The one door to the main process: `window.gatehouse`, built by the preload (or the Chromium bridge). */
import type { GatehouseApi } from '../../shared/ipc/contract';

declare global {
  interface Window {
    /** Absent only when the page is opened outside Gatehouse (then every call fails with UNAVAILABLE). */
    readonly gatehouse?: GatehouseApi;
  }
}

export {};
