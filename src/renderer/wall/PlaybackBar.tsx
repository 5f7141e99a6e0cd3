/**
 * Playback controls along the bottom of the map: start a replay of a past
 * period, then play/pause, 1×–3600×, a time slider, and how many events were
 * open at the moment shown (and which grid version is drawn).
 */
import { useI18n } from '../i18n';
import { startOfDistrictDay } from '../shell/district-time';
import { formatDateTime } from './format';
import { PLAYBACK_SPEEDS } from './playback';

export type PlaybackPreset = 'yesterday' | 'last24h' | 'last7d';

export interface PlaybackBarProps {
  state: 'off' | 'loading' | 'ready' | 'error';
  from: number;
  to: number;
  time: number;
  playing: boolean;
  speed: number;
  openCount: number;
  geometryAsOf: string | null;
  error: string | null;
  onStart: (preset: PlaybackPreset) => void;
  onStop: () => void;
  onPlayPause: () => void;
  onSpeed: (speed: number) => void;
  onSeek: (time: number) => void;
}

export function PlaybackBar(p: PlaybackBarProps) {
  const { t, locale } = useI18n();
  const pb = t.wall.playback;
  if (p.state === 'off') {
    return (
      <div className="playback playback--off" data-testid="playback-bar" data-state="off">
        <span className="playback__label">{pb.title}</span>
        {(['yesterday', 'last24h', 'last7d'] as const).map((preset) => (
          <button key={preset} type="button" className="playback__button" data-testid="playback-start" data-preset={preset} onClick={() => p.onStart(preset)}>
            {pb.start} · {pb.presets[preset]}
          </button>
        ))}
      </div>
    );
  }
  const span = Math.max(1, p.to - p.from);
  return (
    <div className="playback" data-testid="playback-bar" data-state={p.state} data-time={Math.round(p.time)}>
      <span className="playback__badge">{pb.replaying}</span>
      <button type="button" className="playback__button playback__button--main" data-testid="playback-toggle" disabled={p.state !== 'ready'} onClick={p.onPlayPause}>
        {p.playing ? pb.pause : pb.play}
      </button>
      <div className="playback__speeds" role="group" aria-label={pb.speed}>
        {PLAYBACK_SPEEDS.map((s) => (
          <button key={s} type="button" className="playback__speed" data-testid="playback-speed" data-value={s} aria-pressed={p.speed === s} onClick={() => p.onSpeed(s)}>
            {s}×
          </button>
        ))}
      </div>
      <div className="playback__track">
        <input
          type="range"
          className="playback__slider"
          data-testid="playback-slider"
          min={0}
          max={1000}
          value={Math.round(((p.time - p.from) / span) * 1000)}
          onChange={(e) => p.onSeek(p.from + (Number(e.currentTarget.value) / 1000) * span)}
          aria-label={pb.title}
        />
        <div className="playback__ends">
          <span>{formatDateTime(p.from, locale)}</span>
          <span>{formatDateTime(p.to, locale)}</span>
        </div>
      </div>
      <div className="playback__now">
        <span className="playback__time" data-testid="playback-time">
          {p.state === 'loading' ? pb.loading : formatDateTime(p.time, locale)}
        </span>
        <span className="playback__open" data-testid="playback-open-count" data-value={p.openCount}>
          {p.state === 'error' ? p.error : pb.openNow(p.openCount)}
        </span>
        {p.geometryAsOf && <span className="playback__geometry">{pb.geometryAsOf(p.geometryAsOf)}</span>}
      </div>
      <button type="button" className="playback__button" data-testid="playback-stop" onClick={p.onStop}>
        {pb.stop}
      </button>
    </div>
  );
}

/** The period of a preset, relative to `now` (the district's midnights for "yesterday"). */
export function presetPeriod(preset: PlaybackPreset, now: number): { from: number; to: number } {
  if (preset === 'last24h') return { from: now - 86_400_000, to: now };
  if (preset === 'last7d') return { from: now - 7 * 86_400_000, to: now };
  const to = startOfDistrictDay(now);
  return { from: startOfDistrictDay(to - 1), to };
}
