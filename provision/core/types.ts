// The vocabulary every camfleet module speaks: a host as the inventory resolves it, the state we
// want on it, the state we observed on it, and the plan that turns one into the other.
import type { CameraConfig, Encoder } from '../../contract/camera.ts';

export type { Encoder, InputFormat } from '../../contract/camera.ts';

export type HotspotMode = 'networkmanager' | 'hostapd' | 'none';
/** How a browser receives the video: WebRTC (camfleet-webrtc, a fraction of a second behind) or nginx-rtmp's HLS. */
export type ViewerPath = 'webrtc' | 'hls';

export interface SshSettings {
  user: string;
  port: number;
  /** Absolute path of the private key; undefined means ssh-agent only. */
  identityFile?: string;
  /** Absolute path of the known_hosts file checked strictly on connect. */
  knownHostsFile: string;
  /** Optional jump host as `user@host:port`. */
  jump?: string;
  /** Absolute path of the operator's public key that first boot authorizes (default: identityFile + `.pub`). */
  publicKeyFile?: string;
}

/**
 * How a fresh Pi reaches the network on its first boot (written onto its card by `bootstrap`;
 * provision never changes it): wired DHCP, or a Wi-Fi network on a radio the hotspot does not use.
 */
export interface UplinkSettings {
  mode: 'ethernet' | 'wifi';
  interface: string;
  ssid: string;
  /** Resolved only for bootstrap (LoadOptions.firstBoot): '' otherwise. */
  passphrase: string;
  country: string;
}

/** Settings only the first boot applies (bootstrap). */
export interface FirstBootSettings {
  /** An IANA zone name, e.g. Europe/London. */
  timezone: string;
}

/** The camera and its encode: the streamer's own type (contract/camera.ts), so the two cannot drift. */
export type CameraSettings = CameraConfig;

export interface StreamSettings {
  port: number;
  application: string;
  key: string;
  /** HTTP port on which nginx serves rtmp_stat (XML statistics). */
  statPort: number;
}

export interface AccessSettings {
  /** nginx allow-list entries (addresses, CIDRs or `all`) for publishing. */
  publish: string[];
  play: string[];
  /** Who may read the statistics page. */
  stat: string[];
  /** Who may scrape the Prometheus metrics (/metrics on the statistics port): your Prometheus server. */
  metrics: string[];
}

export interface HotspotSettings {
  mode: HotspotMode;
  interface: string;
  ssid: string;
  passphrase: string;
  country: string;
  channel: number;
  /** The Pi's own address on the hotspot, e.g. 10.42.0.1. */
  address: string;
  prefixLength: number;
  dhcpStart: string;
  dhcpEnd: string;
}

/** The page a phone on the hotspot opens to watch: http://<pi>:<port>/. */
export interface ViewerSettings {
  enabled: boolean;
  /** HTTP port of the page and its media paths. */
  port: number;
  /** Offered to browsers, in the page's order of preference. */
  paths: ViewerPath[];
}

/** Where a relaying Pi pushes its stream: the origin's RTMP application, the stream named after the Pi. */
export interface RelayTarget {
  /** The origin's inventory name. */
  origin: string;
  address: string;
  port: number;
  application: string;
  /** The stream's name on the origin: the Pi's host name (unique, and never a secret, unlike a key). */
  stream: string;
  /** The origin's viewer port, when it serves pages (the Pi's page there is /<stream>/). */
  viewerPort?: number;
}

/**
 * An external ingest (YouTube Live, Twitch, a CDN) the Pi's stream is copied to as it is encoded
 * (parts/ingest.ts). The URL never holds the key: the key is a secret, written only to a root-only file.
 */
export interface Ingest {
  /** Its name in the inventory (relay.ingests.<name>). */
  name: string;
  /** rtmp://host[:port]/application or rtmps://..., without the key. */
  url: string;
  /** The stream key, resolved from its secret. */
  key: string;
  /** silent: a silent AAC track is added to this ingest's copy (services that refuse video alone). */
  audio: 'none' | 'silent';
  /** PEM certificates of a private CA (caFile's text), for an rtmps ingest not verified by the system's CA store. */
  ca?: string;
}

/** A camera that relays to an origin, as far as the origin needs to know it. */
export interface RelaySource {
  name: string;
  /** The address it publishes from: the origin's publish allow-list admits it. */
  address: string;
  /** Its keyframe interval (camera.gop / camera.fps): the origin cuts HLS fragments at keyframes. */
  keyframeMs: number;
  /** The port its own viewer page is on, when it records and serves its recordings there (the wall links them). */
  recordingsPort?: number;
}

/** An origin server: no camera of its own, it serves the streams of the Pis that relay to it. */
export interface OriginSettings {
  sources: RelaySource[];
}

/** Recording the stream on the Pi (provision/core/parts/recording.ts). */
export interface RecordingSettings {
  enabled: boolean;
  /** The folder on the Pi the segments go to. */
  path: string;
  /** Seconds per segment. */
  segment: number;
  keep: { days: number; minFreePercent: number };
  /** Set by `provision --delete-recordings`, never by the inventory: off, the segments go too. */
  deleteRecordings?: boolean;
}

/** One Pi with every default, group and secret resolved. Secrets are plain text here: never print it. */
export interface ResolvedHost {
  name: string;
  address: string;
  ssh: SshSettings;
  camera: CameraSettings;
  stream: StreamSettings;
  access: AccessSettings;
  hotspot: HotspotSettings;
  viewer: ViewerSettings;
  uplink: UplinkSettings;
  firstBoot: FirstBootSettings;
  recording: RecordingSettings;
  /** Set when this Pi pushes its stream to an origin (players use the origin's URLs). */
  relay?: RelayTarget;
  /** External ingests the Pi's stream is copied to, in the inventory's order (none on an origin). */
  ingests: Ingest[];
  /** Set when this host is an origin (inventory `role: origin`) rather than a camera. */
  origin?: OriginSettings;
  /** Values that must never appear in output (passphrases, secret stream keys). */
  secrets: string[];
}

export interface ManagedFile {
  path: string;
  content: string;
  /** e.g. 0o644 */
  mode: number;
  owner: string;
  group: string;
  /** A checker run on the staged file before it replaces the real one. */
  validate?: 'nginx' | 'systemd';
  /** True when the content holds a secret: diffs are masked. */
  sensitive?: boolean;
}

/**
 * A file camfleet once managed and must now remove (e.g. after a hotspot mode switch). Only a file
 * that carries camfleet's "Managed by camfleet" marker is removed: nothing of the operator's goes.
 */
export interface AbsentFile {
  path: string;
}

/**
 * A directory camfleet made, or a service it configured filled, that must now go (the HLS
 * fragments once the viewer is off). Removed only when it holds nothing but regular files whose
 * names match `files` (shell patterns) and files the same plan removes: anything else in it, of
 * the operator's, keeps it.
 */
export interface AbsentDir {
  path: string;
  files: string[];
}

/** The line every template starts with; observe looks for it before anything is removed. */
export const managedMarker = 'Managed by camfleet';

export interface DesiredUnit {
  name: string;
  enabled: boolean;
  active: boolean;
  /** Debian ships some units masked (hostapd): unmask before enabling. */
  unmask?: boolean;
  /** Paths whose change means `systemctl restart`. */
  restartOn: string[];
  /** Paths whose change means `systemctl reload`. */
  reloadOn: string[];
}

export interface DesiredState {
  host: string;
  packages: string[];
  files: ManagedFile[];
  absent: AbsentFile[];
  /** Directories to remove (see AbsentDir); none when left out. */
  absentDirs?: AbsentDir[];
  units: DesiredUnit[];
  /** TCP ports that must be listening once applied. */
  listen: number[];
  /** What the streamer will need on the host, for warnings (no step can plug in a camera). */
  camera: { device: string; encoder: Encoder; size?: { width: number; height: number } };
  /** Values to mask wherever plan output could show file content. */
  secrets: string[];
  /** The hotspot's mode and the Wi-Fi interface it takes over. */
  hotspot: { mode: HotspotMode; interface: string };
  /** What the health gate after a change holds this Pi's stream to; none on an origin (no camera). */
  health?: DesiredHealth;
}

/** A camera Pi's stream as the health gate reads it on the Pi (the streamer's status file, nginx-rtmp's stat). */
export interface DesiredHealth {
  /** camera.fps as configured. */
  fps: number;
  /** nginx-rtmp's statistics port and the RTMP application the stream is published to. */
  statPort: number;
  application: string;
}

/**
 * What undoes a plan's commit when its health gate fails: the commit kept the previous version of
 * each file it replaced beside it (`.<name>.camfleet-prev`, a hard link, same filesystem), so the
 * way back is renames.
 */
export interface Rollback {
  /** Files the commit replaced: their kept previous versions are renamed back. */
  restore: string[];
  /** Files the commit created: removed. */
  remove: string[];
  /** A unit file is among them: systemctl daemon-reload before the restarts. */
  daemonReload: boolean;
  /** What the change restarted or reloaded, done again with the old files (noted first, like the commit's). */
  restarts: OwedAction[];
  note: string;
}

export interface ObservedFile {
  sha256: string;
  mode: number;
  owner: string;
  group: string;
  /** The file's first lines carry managedMarker. */
  managed: boolean;
}

export interface ObservedUnit {
  /** `systemctl is-enabled` output: enabled, disabled, masked, not-found, ... */
  enabled: string;
  /** `systemctl is-active` output: active, inactive, failed, ... */
  active: string;
  mainPid: number;
  /** systemd's NeedDaemonReload: the unit's file or drop-in changed on disk since systemd loaded it. */
  needsReload?: boolean;
}

export interface ObservedState {
  os: { id: string; version: string; arch: string };
  packages: Record<string, boolean>;
  files: Record<string, ObservedFile | null>;
  units: Record<string, ObservedUnit>;
  camera: boolean;
  h264Encoders: string[];
  /** Restarts/reloads an interrupted run committed files for but never carried out. */
  pending: OwedAction[];
  /** The host's network interface this SSH connection arrived on. */
  sshInterface?: string;
  /** Temp files of a staging that never finished (power cut, connection lost): never committed. */
  leftovers?: string[];
  /** Of the desired state's absentDirs, those that are there -> the entries in each its patterns do not cover. */
  dirs?: Record<string, string[]>;
  /** For a libcamera camera: the cameras libcamera sees (`cam -l`); absent when its tools are not installed yet. */
  libcamera?: LibcameraCamera[];
  /** A process holds a media device (the streamer capturing): libcamera 0.0.3 then lists no camera on it to anyone else. */
  libcameraInUse?: boolean;
}

/** A camera libcamera sees, as `cam -l` and `cam -c N -I` tell it. */
export interface LibcameraCamera {
  /** cam's number for it (1, 2, ...). */
  index: number;
  /** libcamera's id: what `camera.device: libcamera:<id>` names. */
  id: string;
  /** The sensor's model (imx708, or vimc's "Sensor B"). */
  model: string;
  /** Pixel formats and the sizes each can be delivered at; empty when they could not be read (the camera is in use). */
  modes: LibcameraMode[];
  /** Why the modes could not be read, in cam's words. */
  modesUnknown?: string;
}

export interface LibcameraMode {
  format: string;
  /** The smallest and largest size (a range the ISP scales within), and the sizes listed. */
  min: { width: number; height: number };
  max: { width: number; height: number };
  sizes: string[];
}

/** A restart or reload a commit leaves noted on the host until it is carried out. */
export interface OwedAction {
  action: 'restart' | 'reload';
  unit: string;
}

/**
 * One thing apply does, in the plan's order. Most change the host; six are how the changes land
 * safely (guard-ssh, lock, commit-files, clear-pending, verify, health-gate: see isChange in core/plan/steps.ts).
 */
export type Step =
  /** Stop before anything is done: applying would cut off the SSH connection it runs over. */
  | { kind: 'guard-ssh'; interface: string; reason: string }
  /** Take the Pi's lock (a file flock'ed on it), held until this run ends; refused when another run holds it. */
  | { kind: 'lock'; path: string }
  | { kind: 'remove-leftovers'; paths: string[] }
  | { kind: 'install-packages'; packages: string[] }
  | {
      /** Stage the new content beside the target (and validate it there); commit-files swaps it in. */
      kind: 'write-file';
      path: string;
      action: 'create' | 'update' | 'metadata';
      /** Unified diff with secrets masked; empty for metadata-only changes. */
      diff: string;
      file: ManagedFile;
    }
  | {
      /**
       * Swap every staged file of the write-file steps before it into place in one go, and set the
       * mode/owner of metadata-only ones; first note on the host the restarts and reloads this
       * plan owes (`owed`, in file `note`), so a run cut off after the swap still owes them.
       */
      kind: 'commit-files';
      paths: string[];
      owed: OwedAction[];
      note: string;
      /** Keep the previous version of each replaced file beside it, for the health gate's rollback. */
      keepPrevious?: boolean;
    }
  | { kind: 'remove-file'; path: string }
  /** Remove the files matching `files` in the directory, then the directory (see AbsentDir). */
  | { kind: 'remove-dir'; path: string; files: string[] }
  | { kind: 'daemon-reload' }
  | { kind: 'unmask'; unit: string }
  | { kind: 'enable'; unit: string }
  | { kind: 'disable'; unit: string }
  | { kind: 'start'; unit: string }
  | { kind: 'stop'; unit: string }
  | { kind: 'restart'; unit: string; because: string[] }
  | { kind: 'reload'; unit: string; because: string[] }
  /** The owed restarts and reloads are done: remove the note. */
  | { kind: 'clear-pending'; note: string }
  /** Last: these units active and these TCP ports listening, given a few seconds to settle. */
  | { kind: 'verify'; units: string[]; ports: number[] }
  | {
      /**
       * After verify, on a camera Pi that changed: its stream LIVE at >= minFps without a break for
       * settleSeconds, read on the Pi, within timeoutSeconds; otherwise `rollback` undoes the commit
       * and the gate is checked again. A string: why nothing would be rolled back (--no-rollback, a first install).
       */
      kind: 'health-gate';
      fps: number;
      minFps: number;
      settleSeconds: number;
      timeoutSeconds: number;
      statPort: number;
      application: string;
      rollback: Rollback | string;
    };

/**
 * Everything apply does to a host, in order: what --check prints, --json emits and --plan-out
 * saves. Nothing beside it is needed to apply it. No steps at all: the host is in sync.
 */
export interface Plan {
  host: string;
  steps: Step[];
  /** Things observed that the operator should know but that need no step (no camera, no hw encoder). */
  warnings: string[];
  /** For a libcamera camera: the cameras libcamera on the host sees, as observed (absent before its tools are installed). */
  libcamera?: LibcameraCamera[];
  /** ... and whether one was in use (then libcamera 0.0.3 does not list it). */
  libcameraInUse?: boolean;
}
