// Every kind of step a plan holds, in one table: whether it changes the host (a plan's "N changes"
// counts only those; the others are how changes land safely: the SSH cut-off guard, the lock, the
// commit, clearing the owed-restarts note, the final check, the health gate), its mark in the plan's lines
// (+ create, ~ change, - remove, · landing, ! stop), and the step in words, which the plan's lines
// and apply's progress and error labels share. How each is carried out is apply/'s table
// (apply/step-runners.ts), keyed by the same kinds: a new kind fails to compile until both know it.
import type { Step } from '../types.ts';

export type StepKind = Step['kind'];
export type StepOf<K extends StepKind> = Extract<Step, { kind: K }>;

interface KindInfo<S extends Step> {
  change: boolean;
  mark: string;
  describe(step: S): string;
}

const unitStep = (step: { kind: string; unit: string }) => `${step.kind} ${step.unit}`;
const because = (step: StepOf<'restart' | 'reload'>) => `${step.kind} ${step.unit} (${[...new Set(step.because)].join(', ')} changed)`;

export const stepKinds: { [K in StepKind]: KindInfo<StepOf<K>> } = {
  'guard-ssh': { change: false, mark: '!', describe: (s) => `safety check: ${s.reason}` },
  lock: { change: false, mark: '·', describe: (s) => `lock the Pi against other camfleet runs until this one ends (${s.path})` },
  'remove-leftovers': { change: true, mark: '-', describe: (s) => `remove ${s.paths.length} file(s) an unfinished run staged: ${s.paths.join(' ')}` },
  'install-packages': { change: true, mark: '+', describe: (s) => `install packages ${s.packages.join(' ')}` },
  'write-file': {
    change: true,
    mark: '~',
    describe: (s) => `${s.action === 'create' ? 'create' : s.action === 'update' ? 'update' : 'set mode/owner of'} ${s.path}`,
  },
  'commit-files': {
    change: false,
    mark: '·',
    describe: (s) => `commit ${s.paths.length} file(s) at once${s.owed.length ? `, first noting the ${s.owed.length} restart(s)/reload(s) they owe` : ''}`,
  },
  'remove-file': { change: true, mark: '-', describe: (s) => `remove ${s.path}` },
  'remove-dir': { change: true, mark: '-', describe: (s) => `remove ${s.path}/${s.files.length ? ` and the ${s.files.join(', ')} in it` : ''}` },
  'daemon-reload': { change: true, mark: '~', describe: () => 'systemctl daemon-reload' },
  unmask: { change: true, mark: '~', describe: unitStep },
  enable: { change: true, mark: '+', describe: unitStep },
  disable: { change: true, mark: '-', describe: unitStep },
  start: { change: true, mark: '+', describe: unitStep },
  stop: { change: true, mark: '-', describe: unitStep },
  restart: { change: true, mark: '~', describe: because },
  reload: { change: true, mark: '~', describe: because },
  'clear-pending': { change: false, mark: '·', describe: () => 'clear the note of owed restarts' },
  verify: { change: false, mark: '·', describe: (s) => `verify units active: ${s.units.join(' ') || '-'}; ports listening: ${s.ports.join(' ') || '-'}` },
  'health-gate': {
    change: false,
    mark: '·',
    describe: (s) =>
      `health gate: the stream LIVE at >= ${s.minFps} fps (90% of ${s.fps}) for ${s.settleSeconds} s, within ${s.timeoutSeconds} s; ` +
      (typeof s.rollback === 'string'
        ? s.rollback
        : `else roll back (restore ${s.rollback.restore.length} file(s), remove ${s.rollback.remove.length} created, ` +
          `${s.rollback.restarts.length ? `restart ${s.rollback.restarts.map((r) => r.unit).join(' ')}` : 'no restart'}) and check again`),
  },
};

/** A step's entry, typed for that step. */
export const kindOf = <S extends Step>(step: S): KindInfo<S> => stepKinds[step.kind] as unknown as KindInfo<S>;
