// The VM lab Pi in tests: whether it can run here, scripts run as root inside it, its clock
// against this machine's, and a Wi-Fi client on its second simulated radio.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { sshArgs } from '../../lab/ssh-args.ts';
import type { LabHost } from '../../lab/state.ts';

/** Why the VM lab Pi cannot run here, or undefined when it can. */
export function vmUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the VM lab Pi needs root (its image is built with debootstrap and chroot)';
  for (const tool of ['qemu-system-x86_64', 'qemu-img', 'debootstrap', 'systemd-nspawn', 'mkfs.ext4']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (sudo npm test installs it)`;
  }
  return undefined;
}

/** Run a bash script as root inside the VM (one SSH round trip); stdout, and throws on failure. */
export function asRoot(host: LabHost, script: string, timeoutMs = 120_000): string {
  return asRootBytes(host, script, timeoutMs).toString('utf8');
}

/** asRoot, for a script whose stdout holds bytes (a file's contents). */
export function asRootBytes(host: LabHost, script: string, timeoutMs = 120_000): Buffer {
  return execFileSync('ssh', sshArgs(host, ['-o', 'BatchMode=yes', 'sudo', 'bash', '-s']), { input: script, timeout: timeoutMs, stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * The VM's clock minus this machine's, in ms, and how sure (± ms). Read as NTP does, over one SSH
 * session already open: this machine asks, the VM answers its time, and the answer is placed at the
 * middle of the round trip; the quickest of several rounds counts. A fresh SSH connection per
 * reading would take a second under TCG, half of it uncertainty.
 */
export async function clockOffset(host: LabHost, rounds = 8): Promise<{ ms: number; within: number }> {
  const ssh = spawn('ssh', sshArgs(host, ['-o', 'BatchMode=yes', 'while read -r _; do date +%s.%N; done']), { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: ssh.stdout })[Symbol.asyncIterator]();
  try {
    let best = { ms: 0, within: Infinity };
    for (let i = 0; i < rounds + 1; i++) {
      const asked = Date.now();
      ssh.stdin.write('\n');
      const answer = await lines.next();
      if (answer.done) throw new Error(`${host.name}: ssh ended before answering its time`);
      const answered = Date.now();
      // The first round also waits for the connection: it does not count.
      const within = (answered - asked) / 2;
      if (i > 0 && within < best.within) best = { ms: Number(answer.value) * 1000 - (asked + within), within };
    }
    return best;
  } finally {
    ssh.kill();
  }
}

/** A single-quoted shell word. */
export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface WifiResult {
  /** wpa_supplicant completed the WPA2 handshake. */
  associated: boolean;
  /** wpa_supplicant gave up on the key (4-way handshake failed). */
  wrongKey: boolean;
  lease?: string;
  stream?: { codec: string; width: number; height: number };
  /** With `tryPublish`: whether nginx-rtmp refused this client's attempt to publish a stream. */
  publishRefused?: boolean;
  /** With `viewer`: what a phone's browser gets over HTTP from the Pi (see ViewerOverWifi). */
  viewer?: ViewerOverWifi;
  /** wpa_supplicant's and dhclient's log tail, for failure messages. */
  log: string;
}

export interface ViewerOverWifi {
  /** Status line and <title> of http://<gateway>/. */
  page: { status: string; title: string };
  /** Status lines of the page's script and player. */
  assets: string[];
  /** Status line of the HLS playlist and the newest fragment it names. */
  playlist: { status: string; fragment: string };
  /** That fragment, fetched over HTTP and decoded by ffprobe: a fragment starts on a keyframe. */
  fragment?: { codec: string; width: number; height: number; frames: number };
}

const ns = 'camfleet-client';

/**
 * Shell lines (inside the client's namespace) that fetch the viewer page, its script and player,
 * the HLS playlist and its newest fragment from http://HOST/, as a phone's browser does. The VM
 * has no curl: bash's /dev/tcp speaks the HTTP/1.0 GET; ffprobe decodes the fragment.
 */
function viewerFetch(host: string): string {
  return String.raw`    get() { timeout 20 ip netns exec "$ns" bash -c 'exec 3<>/dev/tcp/$0/80 && printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$1" "$0" >&3 && cat <&3' ${host} "$1"; }
    first_line() { head -n1 | tr -d '\r'; }
    page=$(get / 2>>/run/${ns}-dhcp.log)
    echo "page_status=$(printf '%s\n' "$page" | first_line)"
    echo "page_title=$(printf '%s\n' "$page" | sed -n 's:.*<title>\(.*\)</title>.*:\1:p' | head -n1)"
    echo "assets=$(get /app.js | first_line);$(get /hls.min.js | first_line)"
    playlist=$(get /hls/cam.m3u8 2>>/run/${ns}-dhcp.log)
    fragment=$(printf '%s\n' "$playlist" | tr -d '\r' | grep '[.]ts$' | tail -n1)
    echo "playlist=$(printf '%s\n' "$playlist" | first_line);$fragment"
    if [ -n "$fragment" ]; then
      out=$(run timeout 40 ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=codec_name,width,height,nb_read_frames -of json "http://${host}/hls/$fragment" 2>>/run/${ns}-dhcp.log) && echo "fragment=$(echo $out | tr -d '\n ')"
    fi`;
}

/**
 * A Wi-Fi client on the VM's second radio, in a network namespace of its own so its traffic
 * really crosses the simulated air: wpa_supplicant with the given SSID and passphrase, then DHCP,
 * then ffprobe of rtmp://<gateway>:1935/live/cam (and, with `tryPublish`, an attempt to publish
 * there). Each call starts the client afresh.
 */
export function wifiClient(host: LabHost, o: { ssid: string; passphrase: string; rtmpHost: string; waitS?: number; tryPublish?: boolean; viewer?: boolean }): WifiResult {
  const script = `set -u
ns=${ns}
run() { ip netns exec "$ns" "$@"; }
# The previous client, if any, goes first.
for p in /run/${ns}-*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; rm -f "$p"; done
rm -rf /run/${ns}-ctrl /run/${ns}-*.log /run/${ns}.leases
ip netns list | grep -qw "$ns" || ip netns add "$ns"
# dhclient-script writes resolv.conf: inside the namespace, onto its own copy.
mkdir -p /etc/netns/$ns && : > /etc/netns/$ns/resolv.conf && touch /etc/resolv.conf
run ip link set lo up
# Move the second radio (the one that is not the hotspot) into the namespace, once.
if [ -e /sys/class/net/wlan1/phy80211/name ]; then iw phy "$(cat /sys/class/net/wlan1/phy80211/name)" set netns name "$ns"; fi
sleep 0.5
run ip address flush dev wlan1
run ip link set wlan1 up
cat > /run/${ns}.conf <<'CONF'
ctrl_interface=/run/${ns}-ctrl
network={
  ssid=${JSON.stringify(o.ssid)}
  psk=${JSON.stringify(o.passphrase)}
  key_mgmt=WPA-PSK
  proto=RSN
}
CONF
run wpa_supplicant -B -i wlan1 -c /run/${ns}.conf -P /run/${ns}-wpa.pid -f /run/${ns}-wpa.log
state=
for i in $(seq ${(o.waitS ?? 40) * 2}); do
  state=$(wpa_cli -p /run/${ns}-ctrl -i wlan1 status 2>/dev/null | sed -n 's/^wpa_state=//p')
  [ "$state" = COMPLETED ] && break
  grep -q 'pre-shared key may be incorrect' /run/${ns}-wpa.log && break
  sleep 0.5
done
echo "state=$state"
grep -q 'pre-shared key may be incorrect' /run/${ns}-wpa.log && echo wrongkey=yes
if [ "$state" = COMPLETED ]; then
  timeout 60 ip netns exec "$ns" dhclient -1 -v -pf /run/${ns}-dhcp.pid -lf /run/${ns}.leases wlan1 > /run/${ns}-dhcp.log 2>&1
  lease=$(run ip -4 -o address show dev wlan1 | awk '{print $4}' | cut -d/ -f1 | head -n1)
  echo "lease=$lease"
  if [ -n "$lease" ]; then
    for i in 1 2 3; do
      out=$(run timeout 40 ffprobe -v error -rw_timeout 20000000 -select_streams v:0 -show_entries stream=codec_name,width,height -of json rtmp://${o.rtmpHost}:1935/live/cam 2>>/run/${ns}-dhcp.log) && { echo "stream=$(echo $out | tr -d '\\n ')"; break; }
      sleep 2
    done
${o.tryPublish ? `    # A viewer must not be able to publish: nginx-rtmp drops the connection, ffmpeg fails. The
    # same encode into a file first shows that a failure is the server's doing.
    pub() { timeout 40 ip netns exec "$ns" ffmpeg -v error -nostdin -f lavfi -i testsrc=size=64x64:rate=5 -t 3 -c:v libx264 -f flv "$@" >>/run/${ns}-dhcp.log 2>&1; }
    if ! pub -y /dev/null; then echo publish=broken
    elif pub rtmp://${o.rtmpHost}:1935/live/from-a-viewer; then echo publish=accepted
    else echo publish=refused; fi` : ''}
${o.viewer ? viewerFetch(o.rtmpHost) : ''}
  fi
fi
echo '--- log'
tail -n 15 /run/${ns}-wpa.log /run/${ns}-dhcp.log 2>/dev/null
# The client stops; the radio stays in the namespace for the next one.
for p in /run/${ns}-*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; rm -f "$p"; done
true
`;
  const out = asRoot(host, script, 240_000);
  const [head = '', log = ''] = out.split('--- log\n');
  const field = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(head)?.[1]?.trim();
  const stream = field('stream');
  const s = stream ? (JSON.parse(stream) as { streams: { codec_name: string; width: number; height: number }[] }).streams[0] : undefined;
  return {
    associated: field('state') === 'COMPLETED',
    wrongKey: field('wrongkey') === 'yes',
    lease: field('lease') || undefined,
    stream: s && { codec: s.codec_name, width: s.width, height: s.height },
    ...(o.tryPublish ? { publishRefused: field('publish') === 'refused' } : {}),
    ...(o.viewer ? { viewer: viewerResult(field) } : {}),
    log,
  };
}

function viewerResult(field: (name: string) => string | undefined): ViewerOverWifi {
  const [playlistStatus = '', fragmentName = ''] = (field('playlist') ?? '').split(';');
  const fragment = field('fragment');
  const f = fragment ? (JSON.parse(fragment) as { streams: { codec_name: string; width: number; height: number; nb_read_frames: string }[] }).streams[0] : undefined;
  return {
    page: { status: field('page_status') ?? '', title: field('page_title') ?? '' },
    assets: (field('assets') ?? '').split(';'),
    playlist: { status: playlistStatus, fragment: fragmentName },
    fragment: f && { codec: f.codec_name, width: f.width, height: f.height, frames: Number(f.nb_read_frames) },
  };
}
