/**
 * Pixels per second over the recent past, measured against busy wall time (time with at least one run in flight),
 * so overlapping runs are not double counted and idle gaps between batches do not drag the rate down.
 */
export class ThroughputMeter {
  private active = 0;
  private busySince = 0;
  private busyMs = 0;
  private pixels = 0;
  private readonly samples: Array<{ busyMs: number; pixels: number }> = [{ busyMs: 0, pixels: 0 }];

  constructor(private readonly window = 20, private readonly now: () => number = () => performance.now()) {}

  begin(): void {
    if (this.active++ === 0) this.busySince = this.now();
  }

  /** A run ended; `pixels` is what it processed (0 for failures: their time still counts). */
  end(pixels: number): void {
    this.pixels += pixels;
    if (--this.active === 0) this.busyMs += this.now() - this.busySince;
    this.samples.push({ busyMs: this.totalBusy(), pixels: this.pixels });
    if (this.samples.length > this.window + 1) this.samples.shift();
  }

  pixelsPerSecond(): number | null {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const ms = last.busyMs - first.busyMs;
    const px = last.pixels - first.pixels;
    return ms > 0 && px > 0 ? (px / ms) * 1000 : null;
  }

  private totalBusy(): number {
    return this.busyMs + (this.active > 0 ? this.now() - this.busySince : 0);
  }
}
