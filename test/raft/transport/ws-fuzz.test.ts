import fc from 'fast-check';
import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../../raft/transport/message-codec.ts';
import { everyMessage, heartbeat, inbox, waitFor } from './support.ts';
import { cluster, rawPeer } from './ws-support.ts';

const seed = Number(process.env.FC_SEED ?? 20240601);

/** Frames a confused or hostile peer might send: random bytes, msgpack of wrong shapes, mutated real frames. */
const badFrame = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 256 }),
  fc.anything().map((v) => Uint8Array.from(pack(v))),
  fc
    .tuple(
      fc.constantFrom(...everyMessage('n9', 'n1').map(encodeMessage)),
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
    )
    .map(([frame, at, byte]) => {
      const out = Uint8Array.from(frame);
      out[at % out.length] = byte;
      return out;
    }),
);

describe('WsTransport under hostile frames', () => {
  it('never crashes, closes each offending connection, and keeps serving a good peer', async () => {
    const [n1, n2] = await cluster(['n1', 'n2'], { maxFrameBytes: 4096, maxQueueBytes: 4096 });
    const got = inbox(n1!);
    const frames = fc.sample(badFrame, { numRuns: 200, seed });
    let rejected = 0;
    for (const frame of frames) {
      const ws = await rawPeer(n1!, 'n9');
      ws.send(frame);
      // A frame that happens to be a valid message from n9 is delivered; anything else closes the connection.
      const before = got.length;
      ws.send(encodeMessage(heartbeat('n9', 'n1')));
      await waitFor(
        () => ws.readyState === ws.CLOSED || got.length > before,
        'the frame rejected or the probe delivered',
      );
      if (ws.readyState !== ws.OPEN) rejected += 1;
      ws.terminate();
    }
    expect(rejected).toBeGreaterThan(150);
    expect(n1!.stats().malformed).toBe(rejected);
    n2!.send(heartbeat('n2', 'n1', 42));
    await waitFor(() => got.some((m) => m.from === 'n2'), 'good peer still delivers');
  });
});
