// npm run view -- --host pi1      play a Pi's stream with ffplay
// npm run probe -- --host pi1     read it headless and report what arrives
import { resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
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

const options = {
  host: { type: 'string' },
  url: { type: 'string' },
  inventory: { type: 'string', default: 'inventory.yaml' },
  seconds: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean', default: false },
  'show-key': { type: 'boolean', default: false },
} as const;

/** util.parseArgs, as every camfleet command parses argv; its errors become usage errors. */
function readArgs(argv: readonly string[]): Args {
  const [command = '', ...rest] = argv;
  if (command !== 'view' && command !== 'probe') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  let values;
  try {
    ({ values } = parseArgs({ args: rest, options, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
  const args: Args = { command, host: values.host, url: values.url, inventory: values.inventory, seconds: seconds('--seconds', values.seconds, 5), timeout: seconds('--timeout', values.timeout, 10), json: values.json, showKey: values['show-key'] };
  if (!args.host === !args.url) throw new UsageError('give either --host NAME or --url rtmp://...');
  if (args.url && !/^rtmps?:\/\/[^/]+\/[^/]+\/.+/.test(args.url)) throw new UsageError(`--url must look like rtmp://host:port/app/key`);
  return args;
}

function seconds(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!(n > 0)) throw new UsageError(`${flag} must be a positive number of seconds, got ${JSON.stringify(text)}`);
  return n;
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
    args = readArgs(argv);
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
