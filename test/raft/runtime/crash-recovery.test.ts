import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRng } from '../../../raft/core/rng.ts';

const writer = join(import.meta.dirname, 'crash-writer.ts');
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

function run(dir: string, mode: 'write' | 'verify'): { child: ChildProcess; lines: AsyncIterable<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Small WAL segments, so the kills also land around segment cuts and deletions.
    env: { ...process.env, CRASH_WRITER_SEGMENT_BYTES: String(64 * 1024) },
  });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (code !== 0 && signal !== 'SIGKILL') process.stderr.write(`crash-writer exited ${code}: ${stderr}\n`);
  });
  async function* lines(): AsyncGenerator<string> {
    let buffered = '';
    for await (const chunk of child.stdout!) {
      buffered += (chunk as Buffer).toString();
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        yield buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
      }
    }
  }
  return { child, lines: lines() };
}

describe('crash recovery with real processes', () => {
  it('keeps every acknowledged entry, in order, across repeated kill -9', async () => {
    const seed = Number(process.env.FLOTILLA_SEED ?? 0xc4a54);
    const rng = seededRng(seed);
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-crash-'));
    const acked: string[] = [];
    try {
      for (let round = 0; round < 20; round++) {
        // Kill after a random number of acknowledgements: somewhere in the middle of a write.
        const killAfter = 1 + rng.int(400);
        const { child, lines } = run(dir, 'write');
        let seen = 0;
        for await (const line of lines) {
          const [, , value] = line.split(' ');
          if (value === undefined) continue;
          acked.push(value);
          if (++seen >= killAfter) {
            child.kill('SIGKILL');
            break;
          }
        }
        await new Promise((resolve) =>
          child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve),
        );
      }
      const { lines } = run(dir, 'verify');
      let recovered: string[] = [];
      for await (const line of lines) recovered = JSON.parse(line) as string[];
      // Every acknowledged value is present, and acknowledged values appear in acknowledgement order.
      const position = new Map(recovered.map((v, k) => [v, k]));
      const missing = acked.filter((v) => !position.has(v));
      expect(missing, `FLOTILLA_SEED=${seed}`).toEqual([]);
      const positions = acked.map((v) => position.get(v)!);
      expect(positions, `FLOTILLA_SEED=${seed}`).toEqual([...positions].sort((a, b) => a - b));
      expect(acked.length).toBeGreaterThan(20);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
