// Record what a real, converged lab Pi answers to camfleet's observe step: boot one container lab
// Pi, converge it with camfleet (simulated hosts' settings), send it the observe script exactly as
// camfleet does (OpenSSH this time, so nothing of camfleet's client shapes the bytes), keep the
// answer. Boots a lab Pi: run it under the lab lock.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerDown, containerUp } from '../container.ts';
import { writeInventory } from '../scratch-inventory.ts';
import { sshArgs } from '../ssh-args.ts';
import { loadRenderInputs } from '../../provision/converge/render-inputs.ts';
import { loadInventory } from '../../provision/converge/load-inventory.ts';
import { observeScript } from '../../provision/facts/observe/script.ts';
import { projectRoot } from '../../provision/converge/project-root.ts';
import { renderHost } from '../../provision/core/render/render.ts';
import { simHostSettings } from './fleet.ts';
import { recordingFile, replayAnswer, scriptHash, type Recording } from './recording.ts';

export async function recordConvergedPi(log: (line: string) => void = () => {}): Promise<Recording> {
  const [pi] = await containerUp({ hosts: 1, layer: 'ready', log });
  try {
    const inventory = writeInventory([pi!], (doc) => Object.assign(doc.defaults, structuredClone(simHostSettings)));
    log(`converging ${pi!.name} with camfleet`);
    execFileSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'provision', 'cli', 'main.ts'), 'provision', '--inventory', inventory, '--all'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const [host] = (await loadInventory(inventory)).hosts;
    const script = observeScript(renderHost(host!, await loadRenderInputs()));
    // The command line camfleet's client sends (provision/transport/ssh.ts), the script on stdin.
    const r = execFileSyncResult('ssh', sshArgs(pi!, ['-o', 'BatchMode=yes', 'sudo -n /bin/sh -s "$SSH_CONNECTION"']), script);
    const recording: Recording = {
      recordedFrom: `${pi!.name}: a container lab Pi (ready image) converged by camfleet, observed over OpenSSH`,
      recordedAt: new Date().toISOString(),
      observeScriptSha256: scriptHash(script),
      observeScript: script,
      answer: r,
    };
    replayAnswer(recording, renderHost(host!, await loadRenderInputs())); // a converged Pi's answer, or no recording
    writeFileSync(recordingFile, `${JSON.stringify(recording, null, 2)}\n`);
    log(`recorded ${r.stdout.split('\n').length} lines of ${pi!.name}'s answer in ${recordingFile}`);
    return recording;
  } finally {
    await containerDown(log);
  }
}

function execFileSyncResult(cmd: string, args: string[], input: string): Recording['answer'] {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
