// Glass-to-glass latency as a browser sees it: the publisher stamps each frame with the wall-clock
// time it was made (32 black/white boxes across the top: the low 32 bits of Date.now() in ms), and
// the page reads the stamp back from every frame it presents and subtracts it from its own clock.
// Both run on this machine (a lab Pi shares its clock), so no clock sync is needed. The same code
// measures WebRTC and HLS.

const bits = 32;

/**
 * ffmpeg filters that stamp the frame with the wall clock (RTCTIME) at the moment it is made, then
 * give it back an ordinary timestamp. `width` is the picture's width; each bit is a box width/32
 * wide and `height` tall.
 */
export function stampFilter(width: number, fps: number, height = 24): string {
  const w = Math.floor(width / bits);
  const boxes = Array.from(
    { length: bits },
    (_, k) => `drawbox=x=${k * w}:y=0:w=${w}:h=${height}:color=white:t=fill:enable='mod(floor(t*1000/${2 ** k}),2)'`,
  );
  return [`settb=AVTB`, `setpts=RTCTIME`, `drawbox=x=0:y=0:w=${w * bits}:h=${height}:color=black:t=fill`, ...boxes, `setpts=N/(${fps}*TB)`].join(',');
}

/**
 * In-page source (a function of { ms }): for `ms` after the first frame, read every presented
 * frame's stamp; resolves with the latencies in ms. Source text, not a function, so nothing of
 * this process's transform reaches the page.
 */
export const readStampsInPage = `({ ms, waitMs }) => new Promise((resolve, reject) => {
  const video = document.querySelector('video');
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const latencies = [];
  let end = 0;
  const onFrame = () => {
    const now = Date.now();
    const w = video.videoWidth, h = video.videoHeight;
    if (w && h) {
      if (!end) end = performance.now() + ms;
      canvas.width = w; canvas.height = Math.ceil(h / 20);
      ctx.drawImage(video, 0, 0, w, canvas.height, 0, 0, w, canvas.height);
      const box = Math.floor(w / ${bits});
      // Boxes are 24 px tall in a 720-line picture: sample the middle of each at this size.
      const y = Math.max(1, Math.floor(24 * h / 720 / 2));
      const row = ctx.getImageData(0, y, w, 1).data;
      let stamp = 0;
      for (let k = 0; k < ${bits}; k++) {
        const i = (Math.floor(k * box + box / 2)) * 4;
        if (row[i] + row[i + 1] + row[i + 2] > 384) stamp += 2 ** k;
      }
      const latency = (now % 2 ** 32) - stamp;
      // Decoding artefacts can flip a bit: keep only plausible readings.
      if (latency >= 0 && latency < 20000) latencies.push(latency);
    }
    if (end && performance.now() > end) return resolve(latencies);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  setTimeout(() => !end && reject(new Error('no frame within ' + waitMs + ' ms')), waitMs);
})`;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}
