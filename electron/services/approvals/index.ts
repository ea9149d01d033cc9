/** Signed decisions: minting, verification (RFC 8725), storage, DSSE export. */
export * from './claims';
export * from './mint';
export * from './verify';
export * from './digest';
export * from './store';
export * from './collect';
export * from './dsse';
