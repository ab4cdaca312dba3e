/**
 * The public entry of `flotilla`: the client SDK (`connect`), the node
 * server, the replicated registry and the Raft library beneath them.
 */
export * from '../raft/index.ts';
export * from './client/index.ts';
export * from './config/cluster-config.ts';
export * from './config/config-error.ts';
export * from './config/load-config.ts';
export { type Decision, decide, failedGate } from './deploy/decide.ts';
export {
  DEFAULT_CONTROLLER_INTERVAL_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DeployController,
  type DeployControllerOptions,
  type DeployWriter,
} from './deploy/deploy-controller.ts';
export * from './deploy/deployment-model.ts';
export * from './deploy/traffic-window.ts';
export * from './protocol/client-protocol.ts';
export * from './registry/change-history.ts';
export * from './registry/command-codec.ts';
export * from './registry/commands.ts';
export * from './registry/errors.ts';
export * from './registry/registry.ts';
export * from './registry/sessions.ts';
export * from './registry/types.ts';
export * from './registry/validate-command.ts';
export * from './registry/validate-deployment.ts';
export * from './registry/validate-kv.ts';
export * from './registry/validate-registration.ts';
export { FlotillaNode, type FlotillaNodeOptions } from './server/flotilla-node.ts';
export { type ClientLimits, DEFAULT_CLIENT_LIMITS } from './server/node-context.ts';
