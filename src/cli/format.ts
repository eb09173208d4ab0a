/** How the operator commands print: tables, times in UTC, sizes, durations. */
export { formatTable } from './inventory.js';
export { formatBytes } from '../format.js';

/** "2025-03-10 02:00:04" (UTC), or "-". */
export function time(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** "1m 05s" between two ISO times, or "-". */
export function duration(from: string | null | undefined, to: string | null | undefined): string {
  if (!from || !to) return '-';
  const seconds = Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
  if (!Number.isFinite(seconds)) return '-';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Key-value lines, the keys padded to one column. */
export function details(rows: [string, string | number | null | undefined][]): string {
  const shown = rows.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const width = Math.max(...shown.map(([k]) => k.length)) + 2;
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width)}${String(v)}`).join('\n') + '\n';
}
