/** The policy file, the gate, and where governance comes from. */
export * from './load';
export * from './digest';
export * from './default-policy';
export * from './governance';
export * from './gate';
export * from './post-apply';
