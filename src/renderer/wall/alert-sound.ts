/**
 * The alert tone, synthesised with WebAudio at run time (no sound file to
 * ship or download): three rising two-tone chirps, loud enough for a control
 * room, short enough not to mask speech.
 *
 * Browsers start an AudioContext "suspended" until the page gets a user
 * gesture (autoplay policy). A wall nobody touches must be started so that
 * sound is allowed: Chromium kiosks with `--autoplay-policy=no-user-gesture-required`,
 * Electron with `webPreferences.autoplayPolicy = 'no-user-gesture-required'`.
 * Otherwise `blocked` is true and the wall shows a hint; the first click or
 * key press on the wall resumes the context.
 */

type AudioContextCtor = new () => AudioContext;

export interface AlertSound {
  /** plays the tone once; false when the browser blocks audio */
  play(): Promise<boolean>;
  /** true while the autoplay policy keeps the context suspended */
  readonly blocked: boolean;
  /** call from a user gesture to lift the block */
  unlock(): Promise<void>;
  close(): void;
}

/** The tone as note events (start s, frequency Hz, duration s), pure for tests. */
export function toneNotes(): { at: number; hz: number; dur: number }[] {
  const notes: { at: number; hz: number; dur: number }[] = [];
  for (let k = 0; k < 3; k++) {
    const t = k * 0.42;
    notes.push({ at: t, hz: 880, dur: 0.16 }, { at: t + 0.17, hz: 1320, dur: 0.2 });
  }
  return notes;
}

export function createAlertSound(ctor: AudioContextCtor | undefined = globalThis.AudioContext): AlertSound {
  let ctx: AudioContext | null = null;
  const context = () => {
    if (!ctx && ctor) ctx = new ctor();
    return ctx;
  };
  return {
    get blocked() {
      const c = context();
      return !c || c.state === 'suspended';
    },
    async unlock() {
      const c = context();
      if (c && c.state === 'suspended') await c.resume().catch(() => undefined);
    },
    async play() {
      const c = context();
      if (!c) return false;
      if (c.state === 'suspended') await c.resume().catch(() => undefined);
      if (c.state !== 'running') return false;
      const start = c.currentTime + 0.02;
      const master = c.createGain();
      master.gain.value = 0.35;
      master.connect(c.destination);
      for (const n of toneNotes()) {
        const osc = c.createOscillator();
        const gain = c.createGain();
        osc.type = 'square';
        osc.frequency.value = n.hz;
        gain.gain.setValueAtTime(0, start + n.at);
        gain.gain.linearRampToValueAtTime(1, start + n.at + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.001, start + n.at + n.dur);
        osc.connect(gain).connect(master);
        osc.start(start + n.at);
        osc.stop(start + n.at + n.dur + 0.02);
      }
      return true;
    },
    close() {
      void ctx?.close();
      ctx = null;
    },
  };
}
