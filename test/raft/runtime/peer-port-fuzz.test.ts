import fc from 'fast-check';
import { pack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FROM_HEADER, TO_HEADER, TOKEN_HEADER } from '../../../raft/transport/handshake.ts';
import { encodeMessage } from '../../../raft/transport/message-codec.ts';
import { enc, RuntimeCluster, TOKEN, waitFor } from './cluster-fixture.ts';

/**
 * 10,000 hostile frames at one node's peer port while the cluster keeps
 * committing: random bytes, msgpack of wrong shapes, mutated real frames,
 * frames over the size limit, and connections with a wrong token.
 */
const seed = Number(process.env.FC_SEED ?? 0xf022);
const FRAMES = 10_000;
const PARALLEL = 32;
const MAX_FRAME = 64 * 1024;

type Attack = { kind: 'frame'; bytes: Uint8Array } | { kind: 'bad-token' };

const realFrames = [
  encodeMessage({ type: 'heartbeat', from: 'n9', to: 'n1', term: 1, commit: 0, ctx: '' }),
  encodeMessage({
    type: 'append',
    from: 'n9',
    to: 'n1',
    term: 1,
    prevIndex: 0,
    prevTerm: 0,
    entries: [],
    commit: 0,
  }),
];
const attack: fc.Arbitrary<Attack> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 512 })
      .map((bytes) => ({ kind: 'frame' as const, bytes })),
  },
  {
    weight: 6,
    arbitrary: fc.anything().map((v) => ({ kind: 'frame' as const, bytes: Uint8Array.from(pack(v)) })),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...realFrames), fc.nat(), fc.integer({ min: 0, max: 255 }))
      .map(([frame, at, byte]) => {
        const bytes = Uint8Array.from(frame);
        bytes[at % bytes.length] = byte;
        return { kind: 'frame' as const, bytes };
      }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'frame' as const, bytes: new Uint8Array(MAX_FRAME + 1) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'bad-token' as const }) },
);

/** Opens a connection as peer `n9` (or with a wrong token), sends one frame, and waits for either side to close. */
function hit(port: number, a: Attack): Promise<void> {
  return new Promise((resolve) => {
    const token = a.kind === 'bad-token' ? 'not-the-token' : TOKEN;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/raft`, {
      headers: { [TOKEN_HEADER]: token, [FROM_HEADER]: 'n9', [TO_HEADER]: 'n1' },
      maxPayload: 1024,
    });
    const done = (): void => {
      ws.terminate();
      resolve();
    };
    ws.once('error', done);
    ws.once('unexpected-response', done);
    ws.once('close', done);
    ws.once('open', () => {
      if (a.kind === 'frame') ws.send(a.bytes, () => ws.close(1000));
    });
  });
}

let cluster: RuntimeCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('a node under 10,000 hostile frames on its peer port', () => {
  it('never crashes, stays bounded in memory, and the cluster keeps committing', async () => {
    cluster = new RuntimeCluster(['n1', 'n2', 'n3'], 'memory', { transport: 'ws', maxFrameBytes: MAX_FRAME });
    await cluster.startAll();
    await cluster.leader();
    const port = cluster.peerPort('n1');
    const attacks = fc.sample(attack, { numRuns: FRAMES, seed });
    const heapBefore = process.memoryUsage().heapUsed;
    let committed = 0;
    let attacking = true;
    // Writes go on through the whole attack, through whichever node leads.
    const writer = (async () => {
      while (attacking) {
        try {
          await (await cluster!.leader()).propose(enc(`w${committed}`));
          committed++;
        } catch {
          // A leader change (an attacker's valid-looking frame can move terms) is retried.
        }
      }
    })();
    for (let k = 0; k < attacks.length; k += PARALLEL) {
      await Promise.all(attacks.slice(k, k + PARALLEL).map((a) => hit(port, a)));
    }
    const committedDuringAttack = committed;
    attacking = false;
    await writer;
    // Still serving: every node is up and a fresh write commits everywhere.
    const leader = await cluster.leader();
    await leader.propose(enc('after the attack'));
    await waitFor('the write after the attack on every node', () =>
      ['n1', 'n2', 'n3'].every((id) => cluster!.fsms.get(id)!.items.at(-1) === 'after the attack'),
    );
    expect(committedDuringAttack, `FC_SEED=${seed}`).toBeGreaterThan(0);
    const growthMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    expect(growthMiB, `FC_SEED=${seed}`).toBeLessThan(256);
  }, 180_000);
});
