// The one way camfleet prints a table on the terminal: columns two spaces apart, each as wide as
// its widest cell, the last one left as long as it is (a reason or a note), no trailing spaces.

/** The header line, then a line per row. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [header, ...rows].map(line);
}
