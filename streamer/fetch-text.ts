// A loopback page's text (nginx-rtmp's statistics, camfleet-webrtc's status), or undefined when it
// does not answer within 2 s: a reading that cannot be had is left out of the metrics, not made up.
export async function fetchText(url: string): Promise<string | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return r.ok ? await r.text() : undefined;
  } catch {
    return undefined;
  }
}
