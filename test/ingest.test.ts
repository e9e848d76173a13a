// relay.ingests (issue 29): the inventory's external ingests, their located errors, and what render
// writes for them. The script that runs them is tested against real nginx-rtmp and ffmpeg in
// test/ingest-script.test.ts, and on a lab Pi in test/ingest.e2e.test.ts.
import { describe, expect, it } from 'vitest';
import { InventoryError, formatProblem } from '../provision/core/errors.ts';
import { parseAndResolve } from '../provision/core/inventory/load.ts';
import { paths } from '../provision/core/render/paths.ts';
import { renderHost } from '../provision/core/render/render.ts';
import { parseStatus } from '../provision/facts/status/status-script.ts';
import { unifiedDiff } from '../provision/core/plan/diff.ts';
import { ingestLines, ingestsCell, statusTable, type PiStatus } from '../provision/cli/status.ts';
import { bundle, originExporter, templates, viewerAssets } from './support/fleet.ts';

const ca = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const env = { YT_KEY: 'abcd-efgh-ijkl-mnop-qrst', TW_KEY: 'live_123456_AbCdEf', CF_KEY: 'cf0123456789abcdef' };

function load(yaml: string, e: NodeJS.ProcessEnv = env) {
  return parseAndResolve('inventory.yaml', yaml, '/inv', {
    env: e,
    readSecretFile: (path) => (path === '/inv/lab-ca.pem' ? { ok: true, value: ca } : path === '/inv/notes.txt' ? { ok: true, value: 'hello' } : { ok: false, message: 'cannot be read (ENOENT)' }),
  });
}

function problems(yaml: string, e: NodeJS.ProcessEnv = env): string[] {
  try {
    load(yaml, e);
  } catch (err) {
    if (err instanceof InventoryError) return err.problems.map(formatProblem);
    throw err;
  }
  return [];
}

const fleet = `defaults:
  relay:
    ingests:
      youtube: { url: rtmps://a.rtmps.youtube.com/live2, key: { env: YT_KEY }, audio: silent }
groups:
  quiet:
    relay:
      ingests:
        youtube: null
hosts:
  pi1:
    address: 10.0.0.1
    relay:
      ingests:
        twitch: { url: rtmp://live.twitch.tv/app/, key: { env: TW_KEY } }
  pi2: { address: 10.0.0.2, groups: [quiet] }
  pi3:
    address: 10.0.0.3
    relay:
      ingests:
        cdn: { url: rtmps://ingest.example.net:4443/live, key: { env: CF_KEY }, caFile: lab-ca.pem }
`;

describe('relay.ingests in the inventory', () => {
  it('layers by name: defaults give every Pi YouTube, a host adds Twitch, a group drops YouTube with null', () => {
    const hosts = load(fleet).hosts;
    const names = Object.fromEntries(hosts.map((h) => [h.name, h.ingests.map((i) => i.name)]));
    expect(names).toEqual({ pi1: ['youtube', 'twitch'], pi2: [], pi3: ['youtube', 'cdn'] });
    const pi1 = hosts[0]!;
    expect(pi1.ingests[0]).toEqual({ name: 'youtube', url: 'rtmps://a.rtmps.youtube.com/live2', key: env.YT_KEY, audio: 'silent' });
    expect(pi1.ingests[1]).toMatchObject({ name: 'twitch', audio: 'none', key: env.TW_KEY });
    // Keys are secrets: masked wherever camfleet prints.
    expect(pi1.secrets).toEqual(expect.arrayContaining([env.YT_KEY, env.TW_KEY]));
    expect(hosts[2]!.ingests[1]!.ca).toBe(ca);
    // pi2 resolves no key at all: its only ingest was dropped.
    expect(hosts[1]!.secrets).not.toContain(env.YT_KEY);
  });

  const host = (ingest: string) => `hosts:\n  pi1:\n    address: 10.0.0.1\n    relay:\n      ingests:\n        yt: ${ingest}\n`;
  const cases: { name: string; yaml: string; expected: string; env?: NodeJS.ProcessEnv }[] = [
    { name: 'a key written in the YAML', yaml: host('{ url: rtmp://h/app, key: abc }'), expected: "inventory.yaml:6:39 hosts.pi1.relay.ingests.yt.key: must be a secret reference, { env: NAME } or { file: path }: an ingest's stream key is never written in the inventory" },
    { name: 'an unknown scheme', yaml: host('{ url: http://h/app, key: { env: YT_KEY } }'), expected: "inventory.yaml:6:20 hosts.pi1.relay.ingests.yt.url: unknown scheme 'http://': an ingest takes RTMP, write it as rtmp://host[:port]/application or rtmps://host[:port]/application" },
    { name: 'not a URL', yaml: host('{ url: youtube, key: { env: YT_KEY } }'), expected: 'inventory.yaml:6:20 hosts.pi1.relay.ingests.yt.url: is not a URL: write it as rtmp://host[:port]/application or rtmps://host[:port]/application' },
    { name: 'a malformed port', yaml: host('{ url: "rtmp://h:99999/app", key: { env: YT_KEY } }'), expected: 'inventory.yaml:6:20 hosts.pi1.relay.ingests.yt.url: is not a URL: write it as rtmp://host[:port]/application or rtmps://host[:port]/application' },
    { name: 'no application', yaml: host('{ url: "rtmps://a.rtmps.youtube.com/", key: { env: YT_KEY } }'), expected: 'inventory.yaml:6:20 hosts.pi1.relay.ingests.yt.url: names no application (e.g. rtmps://a.rtmps.youtube.com/live2): write it as rtmp://host[:port]/application or rtmps://host[:port]/application' },
    { name: 'the key in the URL itself', yaml: host('{ url: rtmps://a.rtmps.youtube.com/live2/abcd-efgh-ijkl-mnop-qrst, key: { env: YT_KEY } }'), expected: 'inventory.yaml:6:20 hosts.pi1.relay.ingests.yt.url: holds the stream key itself: give the URL without it, and the key as key: { env: NAME } or { file: path }' },
    { name: 'some other key pasted into the URL', yaml: host('{ url: rtmp://live.twitch.tv/app/live_987654_ZyXwVu, key: { env: YT_KEY } }'), expected: 'inventory.yaml:6:20 hosts.pi1.relay.ingests.yt.url: looks like it holds a stream key (its path ends in 18 characters of letters and digits): give the URL without it, and the key as key: { env: NAME } or { file: path }' },
    { name: 'a token in the query', yaml: host('{ url: "rtmp://h/app?token=x", key: { env: YT_KEY } }'), expected: 'inventory.yaml:6:20 hosts.pi1.relay.ingests.yt.url: holds a query or fragment (?... or #...): a key or token goes in key, from a secret' },
    { name: 'a password in the URL', yaml: host('{ url: "rtmp://me:pw@h/app", key: { env: YT_KEY } }'), expected: 'inventory.yaml:6:20 hosts.pi1.relay.ingests.yt.url: holds a user name or password: give only host[:port]/application' },
    { name: 'a key secret that is not set', yaml: host('{ url: rtmp://h/app, key: { env: NOPE } }'), expected: 'inventory.yaml:6:34 hosts.pi1.relay.ingests.yt.key: secret: environment variable NOPE is not set' },
    { name: 'a key with a slash (from its secret, never quoted)', yaml: host('{ url: rtmp://h/app, key: { env: BAD } }'), env: { BAD: 'a/b secret' }, expected: 'inventory.yaml:6:34 hosts.pi1.relay.ingests.yt.key: secret: the stream key it holds may not contain spaces, /, quotes, \\, # or control characters' },
    { name: 'a CA for plain RTMP', yaml: host('{ url: rtmp://h/app, key: { env: YT_KEY }, caFile: lab-ca.pem }'), expected: 'inventory.yaml:6:64 hosts.pi1.relay.ingests.yt.caFile: caFile verifies an rtmps:// ingest: this one is rtmp:// (no TLS)' },
    { name: 'a CA file that is no certificate', yaml: host('{ url: rtmps://h/app, key: { env: YT_KEY }, caFile: notes.txt }'), expected: 'inventory.yaml:6:65 hosts.pi1.relay.ingests.yt.caFile: caFile: notes.txt holds no PEM certificate (-----BEGIN CERTIFICATE-----)' },
    { name: 'a CA file that cannot be read', yaml: host('{ url: rtmps://h/app, key: { env: YT_KEY }, caFile: gone.pem }'), expected: 'inventory.yaml:6:65 hosts.pi1.relay.ingests.yt.caFile: caFile: file /inv/gone.pem cannot be read (ENOENT)' },
    { name: 'an unknown audio mode', yaml: host('{ url: rtmp://h/app, key: { env: YT_KEY }, audio: loud }'), expected: 'inventory.yaml:6:63 hosts.pi1.relay.ingests.yt.audio: must be one of: none, silent' },
  ];
  for (const c of cases) {
    it(`says where and what: ${c.name}`, () => {
      const got = problems(c.yaml, c.env ?? env);
      expect(got).toEqual([c.expected]);
      for (const value of Object.values(c.env ?? env)) expect(got.join('\n')).not.toContain(value);
    });
  }

  it('an origin may not have ingests of its own; the fleet\'s, from defaults, pass it by', () => {
    const yaml = `defaults:\n  relay:\n    ingests:\n      yt: { url: rtmp://h/app, key: { env: YT_KEY } }\nhosts:\n  cam: { address: 10.0.0.1, relay: { to: origin1 } }\n  origin1:\n    address: 10.0.0.5\n    role: origin\n    relay:\n      ingests:\n        tw: { url: rtmp://t/app, key: { env: TW_KEY } }\n`;
    expect(problems(yaml)).toEqual(['inventory.yaml:11:7 hosts.origin1.relay.ingests: origin1 is an origin: only cameras copy their stream to ingests']);
    const fine = load(yaml.replace(/    relay:\n      ingests:\n        tw: .*\n/, ''));
    expect(fine.hosts.map((h) => [h.name, h.ingests.map((i) => i.name)])).toEqual([['cam', ['yt']], ['origin1', []]]);
  });

  it('two ingests that are one (the same URL, spelt differently, and key) are refused at the second', () => {
    const yaml = `hosts:\n  pi1:\n    address: 10.0.0.1\n    relay:\n      ingests:\n        a: { url: rtmp://Live.Twitch.tv/app, key: { env: TW_KEY } }\n        b: { url: "rtmp://live.twitch.tv:1935/app/", key: { env: TW_KEY } }\n        c: { url: rtmp://live.twitch.tv/app, key: { env: YT_KEY } }\n`;
    expect(problems(yaml)).toEqual(["inventory.yaml:7:19 hosts.pi1.relay.ingests.b.url: the same ingest as 'a' (same URL and key): the service would get the stream twice"]);
  });
});

describe('relay.ingests rendered', () => {
  const [pi1, pi2, pi3] = load(fleet).hosts.map((h) => renderHost(h, { templates, streamerBundle: bundle, viewerAssets, originExporter }));
  const file = (d: typeof pi1, path: string) => d!.files.find((f) => f.path === path);

  it('writes the list root-only and masked in diffs, one tab-separated line an ingest, the URL without its trailing slash', () => {
    const list = file(pi1, paths.ingestsConf)!;
    expect(list).toMatchObject({ mode: 0o600, owner: 'root', sensitive: true });
    expect(list.content.split('\n').slice(1)).toEqual([`youtube\trtmps://a.rtmps.youtube.com/live2\t${env.YT_KEY}\tsilent\t-`, `twitch\trtmp://live.twitch.tv/app\t${env.TW_KEY}\tnone\t-`, '']);
    expect(file(pi3, paths.ingestsConf)!.content).toContain(`\tnone\t${Buffer.from(ca).toString('base64')}\n`);
    // No other file holds a key.
    for (const f of pi1!.files.filter((f) => f.path !== paths.ingestsConf)) expect(f.content).not.toMatch(new RegExp(`${env.YT_KEY}|${env.TW_KEY}`));
  });

  it("a rotated key shows in --diff as masked, the old one as well as the new (the old is no longer a known secret)", () => {
    const now = file(pi1, paths.ingestsConf)!.content;
    const before = now.replace(env.YT_KEY, 'old-rotated-key-0000');
    const diff = unifiedDiff(paths.ingestsConf, before, now, pi1!.secrets, true);
    expect(diff).not.toContain('old-rotated-key-0000');
    expect(diff).not.toContain(env.YT_KEY);
    expect(diff).toContain('(only secret values differ');
  });

  it('runs camfleet-ingest, restarted when its list, script, unit or the stream key change, and lets it read the stream over loopback', () => {
    expect(pi1!.units.find((u) => u.name === 'camfleet-ingest.service')).toEqual({ name: 'camfleet-ingest.service', enabled: true, active: true, restartOn: [paths.ingestScript, paths.ingestUnit, paths.ingestsConf, paths.streamKey], reloadOn: [] });
    const unit = file(pi1, paths.ingestUnit)!.content;
    expect(unit).toContain(`LoadCredential=ingests:${paths.ingestsConf}`);
    expect(unit).toContain('Environment="CAMFLEET_INGEST_SOURCE=rtmp://127.0.0.1:1935/live"');
    expect(file(pi1, paths.nginxConf)!.content).toMatch(/allow play 127\.0\.0\.1;/);
  });

  it('on a Pi without ingests, removes what they added and stops the unit', () => {
    expect(pi2!.files.map((f) => f.path).filter((p) => /ingest/.test(p))).toEqual([]);
    expect(pi2!.absent.map((a) => a.path)).toEqual(expect.arrayContaining([paths.ingestScript, paths.ingestUnit, paths.ingestsConf]));
    expect(pi2!.units.find((u) => u.name === 'camfleet-ingest.service')).toMatchObject({ enabled: false, active: false });
  });
});

describe('relay.ingests in status', () => {
  const state = (fields: Record<string, string | number>) => Buffer.from(Object.entries(fields).map(([k, v]) => `${k}=${v}\n`).join('')).toString('base64');
  const stdout = [
    'nginx\tactive',
    'streamer\tactive',
    'hls\t3',
    'ingest-unit\tactive',
    'now\t1000',
    `ingest\t${state({ name: 'youtube', target: 'rtmps://a.rtmps.youtube.com/live2', state: 'connected', since: 700, bytes: 12_345_678, restarts: 0, error: '' })}`,
    `ingest\t${state({ name: 'twitch', target: 'rtmp://live.twitch.tv/app', state: 'retrying', since: 990, bytes: 0, restarts: 4, error: 'rejected: the ingest closed the connection at publish: a wrong or expired stream key? (rtmp://live.twitch.tv/app/***: Input/output error)' })}`,
    `ingest\t${Buffer.from('not a state file').toString('base64')}`,
  ].join('\n');

  it('reads each ingest state status.sh sends, skipping what is not one', () => {
    const raw = parseStatus(stdout);
    expect(raw.ingestUnit).toBe('active');
    expect(raw.hlsViewers).toBe(3);
    expect(raw.now).toBe(1000);
    expect(raw.ingests.map((i) => [i.name, i.state, i.bytes, i.restarts])).toEqual([
      ['youtube', 'connected', 12_345_678, 0],
      ['twitch', 'retrying', 0, 4],
    ]);
  });

  it('shows a column of how many send, and a line per ingest: connected for how long and what it sent, or retrying and why', () => {
    const rows: PiStatus[] = [
      {
        host: 'pi1',
        reachable: true,
        live: true,
        ingestUnit: 'active',
        ingests: [
          { name: 'youtube', target: 'rtmps://a.rtmps.youtube.com/live2', state: 'connected', seconds: 300, bytes: 12_345_678, restarts: 0 },
          { name: 'twitch', target: 'rtmp://live.twitch.tv/app', state: 'retrying', seconds: 10, bytes: 0, restarts: 4, error: 'rejected: a wrong or expired stream key?' },
        ],
      },
      { host: 'pi2', reachable: true, live: true },
    ];
    expect(ingestsCell(rows[0]!)).toBe('1/2 sending');
    expect(ingestsCell(rows[1]!)).toBe('-');
    expect(statusTable(rows).split('\n')[0]).toMatch(/ BROWSERS +HLS +UPTIME .* RECORDING +INGESTS +PAGE /);
    expect(ingestLines(rows)).toEqual([
      'pi1 -> youtube rtmps://a.rtmps.youtube.com/live2: connected 5m00s, 12.3 MB sent',
      'pi1 -> twitch rtmp://live.twitch.tv/app: retrying 10s (4 restarts): rejected: a wrong or expired stream key?',
    ]);
  });
});
