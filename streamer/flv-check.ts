// Does an FLV byte stream carry the H.264 decoder configuration (SPS + PPS) a late-joining viewer
// needs? nginx-rtmp hands every new player the last AVC sequence header it saw; without one, a
// player that joins after the first keyframe can never decode. The Pi 4's h264_v4l2m2m in some
// ffmpeg builds delivers SPS/PPS only in-band, once — so the encoder probe checks this. Pure.

/** True when some video tag is an AVC sequence header with at least one SPS and one PPS. */
export function flvHasAvcConfig(flv: Uint8Array): boolean {
  if (flv.length < 13 || flv[0] !== 0x46 || flv[1] !== 0x4c || flv[2] !== 0x56) return false; // "FLV"
  const headerSize = readUint(flv, 5, 4);
  let at = headerSize + 4; // skip PreviousTagSize0
  while (at + 11 <= flv.length) {
    const type = flv[at] ?? 0;
    const size = readUint(flv, at + 1, 3);
    const data = flv.subarray(at + 11, at + 11 + size);
    if (data.length < size) return false; // truncated
    // Video tag (9), codec AVC (7), AVCPacketType 0: the sequence header.
    if (type === 9 && ((data[0] ?? 0) & 0x0f) === 7 && data[1] === 0 && avcRecordHasParameterSets(data.subarray(5))) return true;
    at += 11 + size + 4;
  }
  return false;
}

/** AVCDecoderConfigurationRecord: version 1, then >= 1 SPS and >= 1 PPS, each non-empty. */
function avcRecordHasParameterSets(record: Uint8Array): boolean {
  if (record.length < 7 || record[0] !== 1) return false;
  const spsCount = (record[5] ?? 0) & 0x1f;
  if (spsCount < 1) return false;
  let at = 6;
  for (let i = 0; i < spsCount; i++) {
    const len = readUint(record, at, 2);
    if (len === 0 || at + 2 + len > record.length) return false;
    at += 2 + len;
  }
  const ppsCount = record[at] ?? 0;
  const ppsLen = readUint(record, at + 1, 2);
  return ppsCount >= 1 && ppsLen > 0 && at + 3 + ppsLen <= record.length;
}

function readUint(bytes: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + (bytes[at + i] ?? 0);
  return v;
}
