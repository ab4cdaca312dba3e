import { RaftError } from './errors.ts';
import type { ConfChange, ConfState, NodeId } from './types.ts';

function without(list: readonly NodeId[], node: NodeId): NodeId[] {
  return list.filter((n) => n !== node);
}

/**
 * The configuration after one single-server change (§4.1 of the thesis), or
 * INVALID_CONF_CHANGE when the change does not fit the current membership.
 */
export function applyConfChange(conf: ConfState, change: ConfChange): ConfState {
  const { node } = change;
  if (typeof node !== 'string' || node.length === 0) {
    throw new RaftError('INVALID_CONF_CHANGE', 'a configuration change must name a node');
  }
  const isVoter = conf.voters.includes(node);
  const isLearner = conf.learners.includes(node);
  switch (change.type) {
    case 'add-learner':
      if (isVoter || isLearner) throw new RaftError('INVALID_CONF_CHANGE', `${node} is already a member`);
      return {
        voters: conf.voters,
        learners: [...conf.learners, node],
        promoting: change.promote === true ? [...conf.promoting, node] : conf.promoting,
      };
    case 'promote':
      if (!isLearner) throw new RaftError('INVALID_CONF_CHANGE', `${node} is not a learner`);
      return {
        voters: [...conf.voters, node],
        learners: without(conf.learners, node),
        promoting: without(conf.promoting, node),
      };
    case 'remove': {
      if (!isVoter && !isLearner) throw new RaftError('INVALID_CONF_CHANGE', `${node} is not a member`);
      const voters = without(conf.voters, node);
      if (voters.length === 0)
        throw new RaftError('INVALID_CONF_CHANGE', `removing ${node} would leave no voter`);
      return { voters, learners: without(conf.learners, node), promoting: without(conf.promoting, node) };
    }
    default:
      throw new RaftError(
        'INVALID_CONF_CHANGE',
        `unknown configuration change ${(change as { type: unknown }).type}`,
      );
  }
}

/** Every member, voters first. */
export function members(conf: ConfState): NodeId[] {
  return [...conf.voters, ...conf.learners];
}
