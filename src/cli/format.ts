/**
 * Text rendering shared by the commands: kubectl-style aligned tables (upper-case headers, two
 * spaces between columns), `-o json|yaml` output, and human durations/ages.
 */
import { stringify } from 'yaml';
import type { OutputFormat } from './args.js';

/** Renders rows under headers, columns padded to their widest cell (kubectl's `get` layout). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Renders `label: value` pairs with the values aligned (kubectl describe's layout). */
export function renderFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([k]) => k.length)) + 1;
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${v}`).join('\n');
}

/** Serialises `value` for `-o json` or `-o yaml`. */
export function renderStructured(format: Exclude<OutputFormat, 'table'>, value: unknown): string {
  return format === 'json' ? JSON.stringify(value, null, 2) : stringify(value).trimEnd();
}

/** kubectl's age format: 45s, 3m12s, 2h5m, 3d4h. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d${h % 24 ? `${h % 24}h` : ''}`;
}

/** Age of an ISO timestamp relative to `now`, or `<unknown>`. */
export function ageOf(iso: string | undefined, now: Date): string {
  if (iso === undefined) return '<unknown>';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '<unknown>' : formatAge((now.getTime() - t) / 1000);
}

/** A number with at most `digits` decimals, or `-` when absent. */
export function num(v: number | undefined, digits = 2, unit = ''): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  return `${Number(v.toFixed(digits))}${unit}`;
}
