/**
 * The preload: a thin allowlist that builds `window.gatehouse` from the contract. No logic.
 *
 * It runs sandboxed (CommonJS, only `electron` may be required), so the contract's names are bundled in.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { channelNames, eventNames, wire, type GatehouseApi } from '../../shared/ipc/contract';

const allowedChannels = new Set<string>(channelNames);
const allowedEvents = new Set<string>(eventNames);

const api: GatehouseApi = {
  invoke(channel, input) {
    // Unknown names still go to main, which answers with UNKNOWN_CHANNEL in the usual envelope;
    // refusing here too keeps a compromised renderer from probing other ipc channels.
    if (!allowedChannels.has(channel)) {
      return Promise.resolve({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `unknown channel: ${String(channel)}` } });
    }
    return ipcRenderer.invoke(wire.invoke, channel, input ?? {});
  },
  on(name, listener) {
    if (!allowedEvents.has(name)) throw new Error(`unknown event: ${String(name)}`);
    const wrapped = (_event: IpcRendererEvent, eventName: string, payload: unknown) => {
      if (eventName === name) listener(payload as never);
    };
    ipcRenderer.on(wire.event, wrapped);
    return () => {
      ipcRenderer.removeListener(wire.event, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('gatehouse', api);
