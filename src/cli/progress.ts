/**
 * Progress on stderr: a redrawn bar with count, rate and ETA on a terminal; plain lines
 * (every `intervalMs` and at each 10% step) otherwise, so logs and CI stay readable.
 */
export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Total records, when known (a file): enables percentage and ETA. */
  total?: number | undefined;
  label?: string;
  /** Plain mode: at most one line per interval (plus one per 10% step). */
  intervalMs?: number;
  now?: () => number;
}

export interface Progress {
  update(done: number, failed: number): void;
  /** Writes a message above the bar (or as its own line). */
  log(message: string): void;
  finish(): void;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const now = opts.now ?? Date.now;
  const label = opts.label ?? 'imported';
  const total = opts.total;
  const interval = opts.intervalMs ?? 2000;
  const started = now();
  let last = { done: 0, failed: 0 };
  let drawnAt = 0;
  let lastStep = 0;
  let barShown = false;
  let printedDone = -1;

  function text(done: number, failed: number): string {
    const elapsed = (now() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const parts = [total ? `${fmt(done)}/${fmt(total)} ${label}` : `${fmt(done)} ${label}`];
    if (total) parts.push(`${Math.floor((done / total) * 100)}%`);
    parts.push(`${fmt(rate)}/s`);
    if (total && rate > 0) parts.push(`ETA ${duration((total - done) / rate)}`);
    if (failed > 0) parts.push(`${fmt(failed)} failed`);
    return parts.join('  ');
  }

  function bar(done: number): string {
    if (!total) return '';
    const width = 24;
    const filled = Math.min(width, Math.round((done / total) * width));
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] `;
  }

  function clear(): void {
    if (tty && barShown) stream.write('\r\x1b[2K');
  }

  function draw(): void {
    drawnAt = now();
    clear();
    stream.write(bar(last.done) + text(last.done, last.failed));
    barShown = true;
  }

  return {
    update(done, failed) {
      last = { done, failed };
      const t = now();
      if (tty) {
        if (t - drawnAt >= 100 || done === total) draw();
        return;
      }
      const step = total ? Math.floor((done / total) * 10) : 0;
      if (t - drawnAt < interval && step === lastStep) return;
      drawnAt = t;
      lastStep = step;
      printedDone = done;
      stream.write(`progress: ${text(done, failed)}\n`);
    },
    log(message) {
      clear();
      barShown = false;
      stream.write(`${message}\n`);
      if (tty) draw();
    },
    finish() {
      clear();
      barShown = false;
      if (tty || printedDone !== last.done) stream.write(`${tty ? '' : 'progress: '}${text(last.done, last.failed)}\n`);
    },
  };
}
