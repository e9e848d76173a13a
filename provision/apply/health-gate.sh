#!/bin/sh
# The health gate after a change, on the Pi itself: polls twice a second until the streamer (the
# unit's current process, by its status file) has streamed at >= MIN_FPS measured frames a second,
# with nginx-rtmp's statistics showing a stream published to APPLICATION, for SETTLE seconds
# without a break. Gives up as soon as that can no longer fit in TIMEOUT seconds, saying what was
# wrong last and the streamer's own last error (ffmpeg's message, a missing camera device). A
# streamer that keeps waiting for a camera device that does not exist for DEVICE_GRACE seconds
# fails it at once: a device node that was going to appear (a USB camera enumerating) has by then.
#   STREAMER_UNIT, STATUS_FILE   the streamer's unit and its status file
#   STAT_URL, APPLICATION        nginx-rtmp's rtmp_stat page (over loopback) and the RTMP application
#   MIN_FPS, SETTLE, TIMEOUT     frames a second, seconds, seconds
#   DEVICE_GRACE                 seconds
# Prints one line and exits 0 when healthy; the reason on stderr and exit 1 otherwise.
if ! command -v node >/dev/null 2>&1; then
  echo "node is not installed: the streamer cannot be running" >&2
  exit 1
fi
export STREAMER_UNIT STATUS_FILE STAT_URL APPLICATION MIN_FPS SETTLE TIMEOUT DEVICE_GRACE
# shellcheck disable=SC2016 # JavaScript, not shell: its template strings are expanded by node
exec node -e '
const { execFileSync } = require("node:child_process");
const { readFileSync } = require("node:fs");
const env = process.env;
const minFps = Number(env.MIN_FPS), settleMs = Number(env.SETTLE) * 1000, timeoutMs = Number(env.TIMEOUT) * 1000;
const deviceGraceMs = Number(env.DEVICE_GRACE) * 1000;
const start = Date.now();
let since, waitingSince, last = "no reading yet", lastError = null, fps = 0;
const systemctl = (...args) => {
  try { return execFileSync("systemctl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim(); }
  catch (e) { return String(e.stdout ?? "").trim(); }
};
async function publishing() {
  try {
    const xml = await (await fetch(env.STAT_URL, { signal: AbortSignal.timeout(2000) })).text();
    const apps = xml.match(/<application>[\s\S]*?<\/application>/g) ?? [];
    return apps.some((a) => /<name>([^<]*)<\/name>/.exec(a)?.[1] === env.APPLICATION && /<publishing\s*\/>/.test(a));
  } catch { return undefined; }
}
/** What is wrong now, or null when healthy. */
async function wrong() {
  const pid = Number(systemctl("show", "-p", "MainPID", "--value", env.STREAMER_UNIT)) || 0;
  if (!pid) return `${env.STREAMER_UNIT} is ${systemctl("is-active", env.STREAMER_UNIT) || "unknown"}`;
  let s;
  try { s = JSON.parse(readFileSync(env.STATUS_FILE, "utf8")); } catch { s = undefined; }
  if (!s || s.pid !== pid) return "the streamer has not reported its state yet";
  if (s.lastError) lastError = s.lastError;
  waitingSince = s.state === "waiting-for-device" ? (waitingSince ?? Date.now()) : undefined;
  if (s.state !== "streaming") return `the streamer is ${s.state}`;
  if (typeof s.fps !== "number") return "the streamer has not measured its frame rate yet";
  if (s.fps < minFps) return `the stream runs at ${s.fps} fps, under ${minFps}`;
  const live = await publishing();
  if (live === undefined) return `nginx-rtmp statistics (${env.STAT_URL}) cannot be read`;
  if (!live) return `nginx-rtmp shows no stream published to ${env.APPLICATION}`;
  fps = s.fps;
  return null;
}
(async () => {
  for (;;) {
    const bad = await wrong();
    const now = Date.now();
    if (bad === null) {
      since ??= now;
      if (now - since >= settleMs) {
        console.log(`LIVE at ${fps} fps (>= ${minFps}) for ${settleMs / 1000} s, ${((now - start) / 1000).toFixed(1)} s after the gate began`);
        process.exit(0);
      }
    } else {
      since = undefined;
      last = bad;
    }
    // Fail once a full settle time can no longer fit before the deadline, or the camera device
    // has been missing for the grace time.
    const deviceGone = waitingSince !== undefined && now - waitingSince >= deviceGraceMs;
    if (deviceGone || now - start + (since === undefined ? settleMs : settleMs - (now - since)) > timeoutMs) {
      const why = deviceGone ? `not LIVE: the camera device has been missing for ${deviceGraceMs / 1000} s` : `not LIVE at >= ${minFps} fps for ${settleMs / 1000} s within ${timeoutMs / 1000} s: ${last}`;
      console.error(why + (lastError ? `; the streamer says: ${lastError}` : ""));
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
})();
'
