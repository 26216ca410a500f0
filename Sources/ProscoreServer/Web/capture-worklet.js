// Runs on the audio thread: mono Float32 blocks of the microphone, optionally brought to
// 16 kHz (linear interpolation after a running mean as a light anti-alias filter), then
// sent to the page as 16-bit PCM in ~100 ms pieces.
class CaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.targetRate = options.processorOptions.targetRate;
    this.step = sampleRate / this.targetRate;
    this.position = 0;
    this.previous = 0;
    this.pending = [];
    this.pieceSamples = Math.round(this.targetRate / 10);
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const frames = input[0].length;
    const mono = new Float32Array(frames);
    for (const channel of input) for (let i = 0; i < frames; i++) mono[i] += channel[i] / input.length;
    if (this.step === 1) {
      for (let i = 0; i < frames; i++) this.pending.push(mono[i]);
    } else {
      const width = Math.max(1, Math.round(this.step));
      const smooth = new Float32Array(frames);
      let acc = 0;
      for (let i = 0; i < frames; i++) {
        acc += mono[i] - (i >= width ? mono[i - width] : 0);
        smooth[i] = acc / Math.min(width, i + 1);
      }
      while (this.position < frames) {
        const i = Math.floor(this.position), f = this.position - i;
        const a = i === 0 ? this.previous : smooth[i - 1], b = smooth[i];
        this.pending.push(a + (b - a) * f);
        this.position += this.step;
      }
      this.position -= frames;
      this.previous = smooth[frames - 1];
    }
    while (this.pending.length >= this.pieceSamples) {
      const piece = this.pending.splice(0, this.pieceSamples);
      const pcm = new Int16Array(piece.length);
      for (let i = 0; i < piece.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(piece[i] * 32767)));
      this.port.postMessage(pcm.buffer, [pcm.buffer]);
    }
    return true;
  }
}
registerProcessor("capture-processor", CaptureProcessor);
