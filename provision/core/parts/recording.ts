// Recording (camfleet-recorder): the stream the streamer already encodes, read back from nginx-rtmp
// over loopback and copied by ffmpeg (-c copy, no second encode) into MPEG-TS segments cut at
// keyframes, with the open one flushed every second and the oldest deleted by age or when free
// space runs low (templates/camfleet-recorder.sh.hbs). Off, its unit and script go; the recordings
// stay (they are the operator's footage, not camfleet's configuration).
//
// Why a process of its own and not nginx-rtmp's `record` or its HLS fragments: `record` writes FLV
// and cuts by time, not at keyframes; the HLS fragments are one keyframe interval each, in a tmpfs
// (hard links cannot leave it), and exist only while the viewer's HLS path is on. A supervised
// ffmpeg -c copy is one small process that cuts where asked, at keyframes, wherever the disk is.
import { paths, units } from '../render/paths.ts';
import { absentFiles, offUnit, onUnit, type Part } from './part.ts';

const files = [paths.recorderUnit, paths.recorderScript];
const page = paths.recordingsPage;

export const recording: Part = {
  name: 'recording',
  // ffmpeg copies the stream (the streamer's: installed once); coreutils' sync -d flushes the open segment.
  packages: ['ffmpeg'],
  enabled: (host) => !host.origin && host.recording.enabled,
  on: ({ host, template }) => ({
    files: [
      // No value in its text (the unit passes them in its environment): any format would do.
      template(paths.recorderScript, 'camfleet-recorder.sh', 'systemd', { mode: 0o755 }),
      template(paths.recorderUnit, 'camfleet-recorder.service', 'systemd'),
      // Played in the browser beside the viewer page (nginx.conf serves /recordings/ then), under access.play.
      ...(host.viewer.enabled ? [template(page, 'camfleet-recordings.html', 'html')] : []),
    ],
    absent: host.viewer.enabled ? [] : absentFiles([page]),
    // The stream key names the stream it reads: a new key restarts it too.
    units: [onUnit(units.recorder, [...files, paths.streamKey])],
  }),
  off: (host) =>
    host.origin
      ? {}
      : {
          absent: absentFiles([...files, page]),
          units: [offUnit(units.recorder)],
          // Only when asked (provision --delete-recordings): the segments, and their folder if nothing else is in it.
          absentDirs: host.recording.deleteRecordings ? [{ path: host.recording.path, files: ['*.ts'] }] : [],
        },
};
