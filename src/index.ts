/**
 * The public entry of `flotilla`. The orchestrator (registry, server, SDK)
 * arrives in later issues; for now it re-exports the Raft library.
 */
export * from '../raft/index.ts';
