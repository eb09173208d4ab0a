/**
 * One progress bar for a restore job of several areas ("Restore everything", all mailboxes):
 * each area's restore reports its own phase, bytes and files; the job shows the sum of their
 * bytes and files, and a percentage that moves through the areas in turn, so the bar neither
 * jumps back at each area nor ends at 100 % with 0 of 0 bytes.
 */
import type { JobProgress } from '../job/job-store.js';
import type { RestoreProgress } from './common.js';

interface AreaProgress {
  fraction: number;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export class RestoreJobProgress {
  private readonly areas: AreaProgress[] = [];

  constructor(
    /** Area restores the job will run (RestorePlan.areas). */
    private readonly planned: number,
    private readonly report: (progress: JobProgress) => void,
  ) {}

  /** The progress callback for the job's next area restore. */
  nextArea(): (progress: RestoreProgress) => void {
    const area: AreaProgress = {
      fraction: 0,
      bytesDone: 0,
      bytesTotal: 0,
      filesDone: 0,
      filesTotal: 0,
    };
    this.areas.push(area);
    return (p) => {
      area.fraction = p.percentDone;
      // Phases report no counts: an area keeps the last ones it had.
      if (p.totalBytes !== undefined) area.bytesTotal = p.totalBytes;
      if (p.totalFiles !== undefined) area.filesTotal = p.totalFiles;
      if (p.bytesDone !== undefined) area.bytesDone = p.bytesDone;
      if (p.filesDone !== undefined) area.filesDone = p.filesDone;
      if (p.phase === 'done') {
        area.bytesDone = area.bytesTotal;
        area.filesDone = area.filesTotal;
      }
      this.report(this.sum(p.secondsRemaining));
    };
  }

  private sum(secondsRemaining: number | undefined): JobProgress {
    const total = (key: Exclude<keyof AreaProgress, 'fraction'>) =>
      this.areas.reduce((n, area) => n + area[key], 0);
    const areas = Math.max(this.planned, this.areas.length, 1);
    const fraction = this.areas.reduce((n, area) => n + area.fraction, 0) / areas;
    return {
      percent: Math.round(Math.min(1, fraction) * 1000) / 10,
      bytesDone: total('bytesDone'),
      bytesTotal: total('bytesTotal'),
      filesDone: total('filesDone'),
      filesTotal: total('filesTotal'),
      // restic's estimate covers the area it is restoring, not the areas still to come.
      etaSeconds: areas === 1 ? secondsRemaining : undefined,
    };
  }
}
