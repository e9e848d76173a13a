// npm run view -- --host pi1      play a Pi's stream with ffplay
// npm run probe -- --host pi1     read it headless and report what arrives
import { resolve as resolvePath } from 'node:path';
import { formatProblem, InventoryError, UsageError } from '../provision/core/errors.ts';
import { NoStreamError, probeStream, type ProbeReport } from './probe.ts';
import { hostViewerUrl, maskKey, redactUrl } from './url.ts';
import { viewStream } from './view.ts';

const usage = `Usage:
  npm run view  -- (--host NAME [--inventory FILE] | --url rtmp://...) [--show-key]
  npm run probe -- (--host NAME [--inventory FILE] | --url rtmp://...) [--seconds 5] [--timeout 10] [--json] [--show-key]

probe exits 0 when frames arrive, 1 when no stream arrives, 2 on bad arguments or inventory.`;

interface Args {
  command: string;
  host?: string;
  url?: string;
  inventory: string;
  seconds: number;
  timeout: number;
  json: boolean;
  showKey: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const [command = '', ...rest] = argv;
  if (command !== 'view' && command !== 'probe') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  const args: Args = { command, inventory: 'inventory.yaml', seconds: 5, timeout: 10, json: false, showKey: false };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i] ?? '';
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const positive = (): number => {
      const v = value();
      const n = Number(v);
      if (!(n > 0)) throw new UsageError(`${flag} must be a positive number of seconds, got ${JSON.stringify(v)}`);
      return n;
    };
    if (flag === '--host') args.host = value();
    else if (flag === '--url') args.url = value();
    else if (flag === '--inventory') args.inventory = value();
    else if (flag === '--seconds') args.seconds = positive();
    else if (flag === '--timeout') args.timeout = positive();
    else if (flag === '--json') args.json = true;
    else if (flag === '--show-key') args.showKey = true;
    else throw new UsageError(`unknown argument ${JSON.stringify(flag)}`);
  }
  if (!args.host === !args.url) throw new UsageError('give either --host NAME or --url rtmp://...');
  if (args.url && !/^rtmps?:\/\/[^/]+\/[^/]+\/.+/.test(args.url)) throw new UsageError(`--url must look like rtmp://host:port/app/key`);
  return args;
}

/** The URL to play: --url as given, or the host's viewer URL from the inventory. */
async function resolveUrl(args: Args): Promise<string> {
  if (args.url) return args.url;
  // npm runs scripts from the package root; a relative --inventory means where the operator typed it.
  return hostViewerUrl(resolvePath(process.env.INIT_CWD ?? process.cwd(), args.inventory), args.host ?? '');
}

function formatReport(shownUrl: string, r: ProbeReport): string {
  const num = (v: number | null, digits: number, unit: string): string => (v === null ? '?' : `${v.toFixed(digits)}${unit}`);
  const size = r.width && r.height ? `${r.width}x${r.height}` : '?x?';
  return [
    `stream   ${shownUrl}`,
    `video    ${r.codec ?? '?'}${r.profile ? ` (${r.profile})` : ''} ${r.pixelFormat ?? '?'} ${size} @ ${num(r.fps, 1, ' fps')}, ${num(r.bitrate === null ? null : r.bitrate / 1e6, 2, ' Mbit/s')}`,
    `first    frame ${r.firstFrameMs} ms after connecting`,
    `latency  ~${num(r.latencyEstimateMs, 0, ' ms')} (estimate: rtt/2 + 1 frame + buffering seen)`,
    `read     ${r.frames} frames in ${r.seconds.toFixed(1)} s`,
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.slice(1).some((a) => a === '--help' || a === '-h')) {
    console.log(usage);
    return 0;
  }
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`${e.message}\n\n${usage}`);
    return 2;
  }

  let url: string;
  try {
    url = await resolveUrl(args);
  } catch (e) {
    if (e instanceof InventoryError) {
      console.error(`${args.inventory}: the inventory has problems:\n${e.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
      return 2;
    }
    if (e instanceof UsageError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  const shown = args.showKey ? url : maskKey(url);
  const redact = (text: string): string => (args.showKey ? text : redactUrl(text, url));

  if (args.command === 'view') {
    console.error(`playing ${shown} (close the window or press q to stop)`);
    try {
      return await viewStream(url);
    } catch (e) {
      console.error(redact((e as Error).message));
      return 1;
    }
  }

  try {
    const report = await probeStream(url, { seconds: args.seconds, timeoutMs: args.timeout * 1000 });
    console.log(args.json ? JSON.stringify({ url: shown, ok: true, ...report }) : formatReport(shown, report));
    return 0;
  } catch (e) {
    if (!(e instanceof NoStreamError)) throw e;
    // ffmpeg prefixes its errors with the URL, which the line below already names.
    const message = redact(e.message).replace(`${shown}: `, '');
    if (args.json) console.log(JSON.stringify({ url: shown, ok: false, error: message }));
    console.error(`no stream from ${shown}: ${message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
