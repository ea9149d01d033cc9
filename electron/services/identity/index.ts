/** Operators, their keys, sessions and the trust list. */
export * from './keys';
export * from './protector';
export * from './trust-list';
export * from './operator-store';
export * from './sessions';
export * from './key-agent';
export * from './key-agent-client';
