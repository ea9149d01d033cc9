/** The repository's record log: signed decisions, revocations, applies and audit heads kept in git refs, shared over the remote. */
export * from './record';
export * from './log';
export * from './sync';
