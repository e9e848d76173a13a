// A step in words, e.g. "restart camfleet-streamer.service (/etc/camfleet/streamer.json changed)":
// the plan's lines (format.ts) and apply's progress and error labels say the same thing.
import type { Step } from '../types.ts';

export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'install-packages':
      return `install packages ${step.packages.join(' ')}`;
    case 'write-file':
      return `${step.action === 'create' ? 'create' : step.action === 'update' ? 'update' : 'set mode/owner of'} ${step.path}`;
    case 'remove-file':
      return `remove ${step.path}`;
    case 'remove-dir':
      return `remove ${step.path}/${step.files.length ? ` and the ${step.files.join(', ')} in it` : ''}`;
    case 'remove-leftovers':
      return `remove ${step.paths.length} file(s) an unfinished run staged: ${step.paths.join(' ')}`;
    case 'daemon-reload':
      return 'systemctl daemon-reload';
    case 'guard-ssh':
      return `safety check: ${step.reason}`;
    case 'lock':
      return `lock the Pi against other camfleet runs until this one ends (${step.path})`;
    case 'commit-files':
      return `commit ${step.paths.length} file(s) at once${step.owed.length ? `, first noting the ${step.owed.length} restart(s)/reload(s) they owe` : ''}`;
    case 'clear-pending':
      return 'clear the note of owed restarts';
    case 'verify':
      return `verify units active: ${step.units.join(' ') || '-'}; ports listening: ${step.ports.join(' ') || '-'}`;
    case 'health-gate':
      return (
        `health gate: the stream LIVE at >= ${step.minFps} fps (90% of ${step.fps}) for ${step.settleSeconds} s, within ${step.timeoutSeconds} s; ` +
        (typeof step.rollback === 'string'
          ? step.rollback
          : `else roll back (restore ${step.rollback.restore.length} file(s), remove ${step.rollback.remove.length} created, ` +
            `${step.rollback.restarts.length ? `restart ${step.rollback.restarts.map((r) => r.unit).join(' ')}` : 'no restart'}) and check again`)
      );
    case 'restart':
    case 'reload':
      return `${step.kind} ${step.unit} (${[...new Set(step.because)].join(', ')} changed)`;
    default:
      return `${step.kind} ${step.unit}`;
  }
}
