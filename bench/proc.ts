/**
 * Per-process CPU and memory from /proc (Linux only).
 *
 * CPU: `utime + stime` (fields 14 and 15 of /proc/<pid>/stat, in clock ticks) sampled at the start and at the
 * end of a scenario; the delta over the wall time is the process's CPU share (100 % = one core fully busy,
 * so a multi-threaded process can exceed 100 %).
 * Memory: `VmHWM` of /proc/<pid>/status, the peak resident set. Writing "5" to /proc/<pid>/clear_refs resets
 * that peak to the current RSS, so each scenario reports its own peak instead of the start-up peak (ts-node
 * compiling the app is the largest allocation some processes ever make). Where the reset is refused the
 * lifetime peak is reported and flagged.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

let clkTck: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 on every common Linux). */
export function clockTicks(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of a process in clock ticks, or undefined when it is gone. */
export function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is parenthesised and may contain spaces: split after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** A `VmXXX` line of /proc/<pid>/status in kB, or undefined. */
function statusKb(pid: number, key: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Resets the peak-RSS counter of a process; false when the kernel refuses. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** What one process did over a measured interval. */
export interface ProcessUsage {
  name: string;
  pid: number;
  /** CPU time over wall time, in percent of one core. */
  cpuPercent: number;
  /** CPU time used over the interval, in milliseconds (divide by the requests served for a per-request cost). */
  cpuMs: number;
  /** Peak resident set in MiB over the interval (lifetime peak when `peakIsLifetime`). */
  peakRssMb: number | null;
  /** True when the peak could not be reset at the start, so it includes everything before. */
  peakIsLifetime: boolean;
}

/** A group of processes summed into one row (Postgres backends of the bench database). */
export interface ProcessGroup {
  name: string;
  /** Called at start and end: the pids currently in the group. */
  pids(): Promise<number[]>;
}

/**
 * Measures CPU and peak memory of named processes between `start()` and `stop()`. Also samples VmRSS every
 * 250 ms as a cross-check of VmHWM (and as the only peak where clear_refs is refused).
 */
export class ProcessMeter {
  private startedAt = 0;
  private readonly baseTicks = new Map<number, number>();
  private readonly resetOk = new Map<number, boolean>();
  private readonly sampledPeakKb = new Map<number, number>();
  private timer?: NodeJS.Timeout;
  private groupBase = new Map<string, Map<number, number>>();

  constructor(
    private readonly processes: Array<{ name: string; pid: number }>,
    private readonly groups: ProcessGroup[] = [],
  ) {}

  /** Takes the baseline (CPU ticks, peak RSS reset) and starts sampling RSS. */
  async start(): Promise<void> {
    for (const p of this.processes) {
      this.baseTicks.set(p.pid, cpuTicks(p.pid) ?? 0);
      this.resetOk.set(p.pid, resetPeakRss(p.pid));
      this.sampledPeakKb.set(p.pid, statusKb(p.pid, 'VmRSS') ?? 0);
    }
    for (const g of this.groups) {
      const base = new Map<number, number>();
      for (const pid of await g.pids()) base.set(pid, cpuTicks(pid) ?? 0);
      this.groupBase.set(g.name, base);
    }
    this.startedAt = performance.now();
    this.timer = setInterval(() => {
      for (const p of this.processes) {
        const rss = statusKb(p.pid, 'VmRSS');
        if (rss !== undefined && rss > (this.sampledPeakKb.get(p.pid) ?? 0)) this.sampledPeakKb.set(p.pid, rss);
      }
    }, 250);
    this.timer.unref();
  }

  /** Ends the interval and returns one row per process and per group. */
  async stop(): Promise<ProcessUsage[]> {
    if (this.timer) clearInterval(this.timer);
    const seconds = (performance.now() - this.startedAt) / 1000;
    const hz = clockTicks();
    const pct = (ticks: number) => Math.round((ticks / hz / seconds) * 1000) / 10;
    const cpuMs = (ticks: number) => Math.round((ticks / hz) * 1000);
    const rows: ProcessUsage[] = this.processes.map((p) => {
      const now = cpuTicks(p.pid);
      const hwm = statusKb(p.pid, 'VmHWM');
      const sampled = this.sampledPeakKb.get(p.pid) ?? 0;
      const reset = this.resetOk.get(p.pid) ?? false;
      const peakKb = reset ? Math.max(hwm ?? 0, sampled) : hwm ?? sampled;
      return {
        name: p.name,
        pid: p.pid,
        cpuPercent: now === undefined ? 0 : pct(now - (this.baseTicks.get(p.pid) ?? 0)),
        cpuMs: now === undefined ? 0 : cpuMs(now - (this.baseTicks.get(p.pid) ?? 0)),
        peakRssMb: peakKb ? Math.round(peakKb / 102.4) / 10 : null,
        peakIsLifetime: !reset,
      };
    });
    for (const g of this.groups) {
      const base = this.groupBase.get(g.name) ?? new Map<number, number>();
      let ticks = 0;
      for (const pid of await g.pids()) {
        const now = cpuTicks(pid);
        // A backend that appeared during the interval counts from zero: all its CPU is inside the interval.
        if (now !== undefined) ticks += now - (base.get(pid) ?? 0);
      }
      rows.push({ name: g.name, pid: 0, cpuPercent: pct(ticks), cpuMs: cpuMs(ticks), peakRssMb: null, peakIsLifetime: false });
    }
    return rows;
  }
}
