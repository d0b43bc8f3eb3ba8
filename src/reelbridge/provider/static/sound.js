// Sound effects synthesised with WebAudio: no audio files. The context is created on the
// first user gesture (browsers refuse to start audio before one).

export class Sound {
  constructor(enabled) {
    this.enabled = enabled;
    this.context = null;
  }

  /** Create or resume the audio context; call from a click or key handler. */
  unlock() {
    if (!this.enabled) return;
    try {
      this.context ??= new (window.AudioContext || window.webkitAudioContext)();
      if (this.context.state === "suspended") this.context.resume();
    } catch {
      this.context = null;
    }
  }

  setEnabled(enabled) {
    this.enabled = enabled;
    if (enabled) this.unlock();
  }

  tone(frequency, { at = 0, length = 0.12, type = "triangle", volume = 0.12, slideTo } = {}) {
    const ctx = this.context;
    if (!this.enabled || !ctx || ctx.state !== "running") return;
    const start = ctx.currentTime + at;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = type;
    osc.frequency.setValueAtTime(frequency, start);
    if (slideTo) osc.frequency.exponentialRampToValueAtTime(slideTo, start + length);
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(volume, start + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start);
    osc.stop(start + length + 0.02);
  }

  click() {
    this.tone(1400, { length: 0.03, type: "square", volume: 0.04 });
  }

  spin() {
    this.tone(220, { length: 0.18, slideTo: 520, volume: 0.08 });
  }

  reelStop(index) {
    this.tone(170 - index * 8, { length: 0.09, slideTo: 80, type: "sine", volume: 0.22 });
  }

  scatter() {
    this.tone(880, { length: 0.16, type: "sine", volume: 0.12 });
    this.tone(1320, { at: 0.06, length: 0.2, type: "sine", volume: 0.08 });
  }

  win(big = false) {
    const notes = big ? [523, 659, 784, 1047, 1319, 1568] : [523, 659, 784, 1047];
    notes.forEach((f, i) =>
      this.tone(f, { at: i * 0.085, length: 0.16, type: "square", volume: 0.05 }),
    );
  }

  fanfare() {
    [392, 523, 659, 784, 659, 784, 1047].forEach((f, i) =>
      this.tone(f, { at: i * 0.12, length: 0.22, type: "sawtooth", volume: 0.04 }),
    );
  }

  error() {
    this.tone(330, { length: 0.16, type: "square", volume: 0.05 });
    this.tone(220, { at: 0.15, length: 0.24, type: "square", volume: 0.05 });
  }
}
