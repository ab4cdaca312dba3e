/** Routes a validated command to its handler. */

import {
  applyDeploymentDelete,
  applyDeploymentPut,
  applyRoutingDelete,
  applyRoutingSet,
} from './apply-deployments.ts';
import { applyKvCas, applyKvDelete, applyKvPut } from './apply-kv.ts';
import { applyMemberPut } from './apply-members.ts';
import { applyDeploymentCreate, applyTransition } from './apply-rollout.ts';
import { applyDeregister, applyDrain, applyHealth, applyRegister } from './apply-services.ts';
import type { CommandBody } from './commands.ts';
import type { ApplyContext, Outcome, RegistryState } from './registry-state.ts';

/** Applies one command to `s`. Throws a `FlotillaError` (state unchanged) when it cannot apply. */
export function dispatchCommand(s: RegistryState, c: CommandBody, ctx: ApplyContext): Outcome {
  switch (c.op) {
    case 'service.register':
      return applyRegister(s, c.args, ctx);
    case 'service.deregister':
      return applyDeregister(s, c.args.id, ctx, c.args.expectedRevision);
    case 'instance.health':
      return applyHealth(s, c.args.id, c.args.health, ctx);
    case 'instance.drain':
      return applyDrain(s, c.args.id, c.args.timeoutMs, ctx);
    case 'deployment.put':
      return applyDeploymentPut(s, c.args, ctx);
    case 'deployment.delete':
      return applyDeploymentDelete(s, c.args.id, ctx);
    case 'deployment.create':
      return applyDeploymentCreate(s, c.args, ctx);
    case 'deployment.start':
    case 'deployment.promote':
    case 'deployment.rollback':
    case 'deployment.switch':
      return applyTransition(s, c.op, c.args, ctx);
    case 'routing.set':
      return applyRoutingSet(s, c.args.service, c.args.policy, ctx);
    case 'routing.delete':
      return applyRoutingDelete(s, c.args.service, ctx);
    case 'kv.put':
      return applyKvPut(s, c.args.key, c.args.value, ctx);
    case 'kv.delete':
      return applyKvDelete(s, c.args.key, ctx);
    case 'kv.cas':
      return applyKvCas(s, c.args.key, c.args.expected, c.args.value, ctx);
    case 'member.put':
      return applyMemberPut(s, c.args.members);
  }
}
