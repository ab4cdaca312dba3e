/**
 * Proves the simulator's checks have teeth: each mutant breaks one Raft rule
 * in a scratch copy of raft/, runs the simulator on it, and expects at least
 * one violation. Prints the seed of the first failing schedule per mutant.
 *
 *   npm run mutants [-- --schedules N] [--seed S] [--only NAME]
 *
 * Exit code 0 when every mutant is caught, 1 otherwise. Nothing in the
 * working tree is modified. Rules whose breakage cannot change behaviour under
 * the Ready contract (persist, then send, then apply) have no mutant here:
 * applying or self-acknowledging before the write is durable is impossible
 * when the runtime handles one Ready at a time. That holds even now that a
 * leader sends its AppendEntries before its own write (§10.2.1): a leader
 * that counted its own copy before it is durable (tried as a mutant of
 * RaftCore.advance, 3,000 schedules, nothing caught) could move its commit
 * index early, but that index only leaves — and is only applied — in a later
 * Ready, after the write. The rule is still kept (and tested in
 * test/raft/parallel-persist.test.ts) for a pipelined loop. Breaking the
 * contract itself (an undurable vote) is covered by
 * test/sim/self-check.sim.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface Mutant {
  readonly name: string;
  readonly rule: string;
  readonly file: string;
  readonly find: string;
  readonly replace: string;
  readonly nodes: 3 | 5;
}

const MUTANTS: readonly Mutant[] = [
  {
    name: 'commit-any-term',
    rule: 'Figure 8: commit only entries of the current term by counting replicas',
    file: 'raft/core/replication.ts',
    find: 'if (index <= r.log.committed || r.log.term(index) !== r.term) return false;',
    replace: 'if (index <= r.log.committed) return false;',
    nodes: 3,
  },
  {
    name: 'vote-twice',
    rule: '§5.2: at most one vote per term',
    file: 'raft/core/election.ts',
    find: 'r.vote === m.from ||',
    replace: 'true ||',
    nodes: 3,
  },
  {
    name: 'no-election-restriction',
    rule: '§5.4.1: vote only for candidates whose log is at least as up to date',
    file: 'raft/core/raft-log.ts',
    find: 'return lastTerm > ours || (lastTerm === ours && lastIndex >= this.lastIndex());',
    replace: 'return true;',
    nodes: 3,
  },
  {
    name: 'no-prev-term-check',
    rule: '§5.3: AppendEntries consistency check on prevIndex/prevTerm',
    file: 'raft/core/raft-log.ts',
    find: 'if (!this.matchTerm(prevIndex, prevTerm)) return undefined;',
    replace: 'if (this.term(prevIndex) === undefined) return undefined;',
    nodes: 3,
  },
  {
    name: 'heartbeat-commits-unmatched',
    rule: 'a follower never commits past what it is known to hold',
    file: 'raft/core/replication.ts',
    find: 'const commit = Math.min(pr.match, r.log.committed);',
    replace: 'const commit = r.log.committed;',
    nodes: 3,
  },
  {
    name: 'no-heartbeat-probe',
    rule: 'liveness: a lost AppendEntries is noticed and resent',
    file: 'raft/core/step-leader.ts',
    find: 'sendAppend(r, m.from, pr, true);\n  }\n  if (m.ctx',
    replace: '}\n  if (m.ctx',
    nodes: 3,
  },
];

function main(): void {
  const { values } = parseArgs({
    options: {
      schedules: { type: 'string', default: '3000' },
      seed: { type: 'string', default: '1' },
      only: { type: 'string' },
    },
  });
  const root = join(import.meta.dirname, '..');
  let missed = 0;
  for (const mutant of MUTANTS) {
    if (values.only !== undefined && values.only !== mutant.name) continue;
    const dir = mkdtempSync(join(tmpdir(), `flotilla-mutant-${mutant.name}-`));
    try {
      for (const part of ['raft', 'test', 'scripts', 'package.json', 'tsconfig.json']) {
        cpSync(join(root, part), join(dir, part), { recursive: true });
      }
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
      const file = join(dir, mutant.file);
      const source = readFileSync(file, 'utf8');
      if (!source.includes(mutant.find))
        throw new Error(`mutant ${mutant.name}: pattern not found in ${mutant.file}`);
      writeFileSync(file, source.replace(mutant.find, mutant.replace));
      const run = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          join(dir, 'scripts', 'sim.ts'),
          '--schedules',
          values.schedules,
          '--seed',
          values.seed,
          '--nodes',
          String(mutant.nodes),
        ],
        { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
      );
      const output = `${run.stdout}${run.stderr}`;
      const summary =
        output
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('sim:'))
          .at(-1) ?? '(no summary)';
      const firstSeed = /(?:FLOTILLA|SIM)_SEED=(\d+)/.exec(output)?.[1] ?? '?';
      const lines = output.split('\n');
      const header = lines.findIndex((l) => /violation\(s\):/.test(l));
      const firstViolation = header < 0 ? '' : (lines[header + 1] ?? '');
      const caught = run.status === 1;
      if (!caught) missed++;
      process.stdout.write(
        `${caught ? 'caught' : 'MISSED'}  ${mutant.name.padEnd(28)} ${summary}  first SIM_SEED=${firstSeed}\n` +
          `        rule: ${mutant.rule}\n        ${firstViolation.trim().slice(0, 200)}\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  process.stdout.write(`mutants: ${missed === 0 ? 'all caught' : `${missed} missed`}\n`);
  process.exit(missed === 0 ? 0 : 1);
}

main();
