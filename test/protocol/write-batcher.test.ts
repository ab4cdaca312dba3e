import { describe, expect, it } from 'vitest';
import { WriteBatcher } from '../../src/protocol/write-batcher.ts';

function recordingSocket(calls: string[]) {
  return { cork: () => calls.push('cork'), uncork: () => calls.push('uncork') };
}

describe('WriteBatcher', () => {
  it('corks once for every frame of a turn, including those sent from promise callbacks, and uncorks after', async () => {
    const calls: string[] = [];
    const batcher = new WriteBatcher();
    batcher.attach(recordingSocket(calls));
    const send = (n: number): void => {
      batcher.beforeSend();
      calls.push(`frame ${n}`);
    };
    send(1);
    await Promise.resolve().then(() => send(2));
    expect(calls).toEqual(['cork', 'frame 1', 'frame 2']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['cork', 'frame 1', 'frame 2', 'uncork']);
    send(3); // a later turn gets its own batch
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.slice(4)).toEqual(['cork', 'frame 3', 'uncork']);
  });

  it('writes frame by frame until it knows the socket, then batches', async () => {
    const calls: string[] = [];
    const batcher = new WriteBatcher();
    batcher.beforeSend(); // no socket yet: nothing to cork, and nothing left pending
    batcher.attach(recordingSocket(calls));
    batcher.beforeSend();
    expect(calls).toEqual(['cork']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['cork', 'uncork']);
  });
});
