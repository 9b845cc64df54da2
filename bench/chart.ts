/** One bar group of the chart: a scenario measured on the subgraph and on its floor. */
export interface ChartRow {
  scenario: string;
  subgraph: { rps: number; p99: number };
  floor: { rps: number; p99: number };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A plain SVG (no dependency) with two panels: requests per second and p99 latency, the
 * subgraph beside its floor for every scenario. Good enough to see a regression at a glance
 * in a pull request; the Markdown table next to it has the exact figures.
 */
export function renderChart(rows: ChartRow[], title: string): string {
  const width = 760;
  const barH = 16;
  const groupH = barH * 2 + 18;
  const left = 230;
  const panelW = (width - left - 40) / 2;
  const top = 56;
  const height = top + rows.length * groupH + 30;
  const maxRps = Math.max(1, ...rows.flatMap((r) => [r.subgraph.rps, r.floor.rps]));
  const maxP99 = Math.max(1, ...rows.flatMap((r) => [r.subgraph.p99, r.floor.p99]));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<text x="${left}" y="44" font-weight="bold">requests/s (higher is better)</text>`,
    `<text x="${left + panelW + 20}" y="44" font-weight="bold">p99 ms (lower is better)</text>`,
    `<rect x="10" y="28" width="10" height="10" fill="#2b6cb0"/><text x="24" y="37">subgraph</text>`,
    `<rect x="90" y="28" width="10" height="10" fill="#a0aec0"/><text x="104" y="37">floor</text>`,
  ];
  rows.forEach((r, i) => {
    const y = top + i * groupH;
    parts.push(`<text x="10" y="${y + barH + 4}">${esc(r.scenario)}</text>`);
    const bars: [number, number, string, string][] = [
      [r.subgraph.rps / maxRps, 0, '#2b6cb0', r.subgraph.rps.toFixed(0)],
      [r.floor.rps / maxRps, 1, '#a0aec0', r.floor.rps.toFixed(0)],
    ];
    for (const [share, k, colour, label] of bars) {
      const w = Math.max(1, share * (panelW - 50));
      parts.push(`<rect x="${left}" y="${y + k * barH}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${colour}"/>`);
      parts.push(`<text x="${left + w + 4}" y="${y + k * barH + barH - 4}">${label}</text>`);
    }
    const lat: [number, number, string][] = [
      [r.subgraph.p99, 0, '#2b6cb0'],
      [r.floor.p99, 1, '#a0aec0'],
    ];
    for (const [ms, k, colour] of lat) {
      const x = left + panelW + 20;
      const w = Math.max(1, (ms / maxP99) * (panelW - 50));
      parts.push(`<rect x="${x}" y="${y + k * barH}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${colour}"/>`);
      parts.push(`<text x="${x + w + 4}" y="${y + k * barH + barH - 4}">${ms}</text>`);
    }
  });
  parts.push('</svg>');
  return parts.join('\n');
}
