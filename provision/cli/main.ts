#!/usr/bin/env node
// camfleet's command line: pick the command, hand over, map the outcome to an exit status.
import { exitCodes } from './exit-codes.ts';
import { UsageError } from '../core/errors.ts';
import { loadSelected, parse, reportError, selectionOptions, usage } from './common.ts';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(usage.main);
    return command ? exitCodes.ok : exitCodes.usage;
  }
  switch (command) {
    case 'render': {
      const { values } = parse(rest, { ...selectionOptions, out: { type: 'string', short: 'o' }, templates: { type: 'string' }, prometheus: { type: 'string' } });
      if (values.help) return console.log(usage.render), exitCodes.ok;
      if (!values.out && !values.prometheus) throw new UsageError('render needs --out DIR or --prometheus FILE');
      const inventory = await loadSelected(values);
      const { runRender, writePrometheusTargets } = await import('./render.ts');
      const code = values.out ? await runRender(inventory, values.out, values.templates) : exitCodes.ok;
      return code === exitCodes.ok && values.prometheus ? await writePrometheusTargets(inventory, values.prometheus) : code;
    }
    case 'provision': {
      const { runProvisionCli } = await import('./provision.ts');
      return runProvisionCli(rest);
    }
    case 'status': {
      const { runStatusCli } = await import('./status.ts');
      return runStatusCli(rest);
    }
    case 'bootstrap': {
      const { runBootstrapCli } = await import('./bootstrap.ts');
      return runBootstrapCli(rest);
    }
    case 'clip': {
      const { runClipCli } = await import('./clip.ts');
      return runClipCli(rest);
    }
    default:
      throw new UsageError(`unknown command '${command}' (expected render, provision, status, bootstrap or clip)`);
  }
}

// Output to a pipe is written asynchronously: exit only once it has all gone out (a --json report
// of a first run, with the page's and streamer's files in its diffs, was cut off mid-string).
const exit = (code: number) => process.stdout.write('', () => process.exit(code));
main(process.argv.slice(2)).then(exit, (e) => exit(reportError(e)));
