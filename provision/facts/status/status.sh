#!/bin/sh
# The status round trip (status-script.ts reads its lines): the two units' states, nginx-rtmp's
# statistics (fetched on the Pi itself, over its own loopback, which the stat access list allows
# by default) and the streamer's status file, both base64 on one line.
#   NGINX_UNIT, STREAMER_UNIT   the units       STAT_URL      nginx-rtmp's rtmp_stat page
#   STATUS_FILE                 the streamer's status JSON
#   WEBRTC_UNIT                 camfleet-webrtc's unit, empty when the Pi offers no WebRTC
#   WHEP_STATUS_URL             camfleet-webrtc's own count of browser viewers
#   INGEST_UNIT, INGEST_DIR     camfleet-ingest's unit and its state files, empty when the Pi has no ingests
#   METRICS_SOCKET              the streamer's /metrics (for its count of HLS viewers), empty when the Pi offers no HLS
printf 'nginx\t%s\n' "$(systemctl is-active "$NGINX_UNIT")"
printf 'streamer\t%s\n' "$(systemctl is-active "$STREAMER_UNIT")"
# Node is on every provisioned Pi (the streamer runs on it); curl need not be.
fetch_b64='fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(Buffer.from(t).toString("base64")), () => process.exit(1))'
if command -v node >/dev/null 2>&1; then
  printf 'stat\t%s\n' "$(node -e "$fetch_b64" "$STAT_URL" 2>/dev/null)"
fi
if [ -f "$STATUS_FILE" ]; then printf 'status\t%s\n' "$(base64 -w0 < "$STATUS_FILE")"; fi
if [ -n "$WEBRTC_UNIT" ]; then
  printf 'webrtc\t%s\n' "$(systemctl is-active "$WEBRTC_UNIT")"
  if command -v node >/dev/null 2>&1; then
    printf 'whep\t%s\n' "$(node -e "$fetch_b64" "$WHEP_STATUS_URL" 2>/dev/null)"
  fi
fi
# HLS viewers as the streamer counts them (from nginx's requests), read from its /metrics socket.
hls_js='require("http").get({ socketPath: process.argv[1], path: "/metrics" }, (r) => { let t = ""; r.on("data", (d) => (t += d)); r.on("end", () => { const m = /^camfleet_viewers\{path="hls"\} (\d+)$/m.exec(t); if (m) process.stdout.write(m[1]); }); }).on("error", () => process.exit(1))'
if [ -n "$METRICS_SOCKET" ] && command -v node >/dev/null 2>&1; then
  printf 'hls\t%s\n' "$(node -e "$hls_js" "$METRICS_SOCKET" 2>/dev/null)"
fi
if [ -n "$INGEST_UNIT" ]; then
  printf 'ingest-unit\t%s\n' "$(systemctl is-active "$INGEST_UNIT")"
  # The states' times are the Pi's clock: how long ago is reckoned against it.
  printf 'now\t%s\n' "$(date +%s)"
  for f in "$INGEST_DIR"/*.state; do
    if [ -f "$f" ]; then printf 'ingest\t%s\n' "$(base64 -w0 < "$f")"; fi
  done
fi
exit 0
