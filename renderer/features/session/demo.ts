/** The demo workspace's answer, kept in memory only so its passphrases are never stored. */
import type { ChannelOutput } from '../../../shared/ipc/contract';

/** What `app:createDemo` returned. */
export type DemoWorkspace = ChannelOutput<'app:createDemo'>;
