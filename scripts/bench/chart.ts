/**
 * A line chart as a standalone SVG (no dependencies): x values shared by every series, one y axis.
 * Used by the benchmarks to draw what they measured (docs/performance/*.svg).
 */
export type Series = { name: string; points: readonly { x: number; y: number }[] };

const COLORS = ["#2251c7", "#b3261e", "#1d7a3a", "#7a4d00"];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** The opening of a chart: the SVG element, its accessible title, a white background and the title shown. */
function svgStart(w: number, h: number, title: string, titleY: number): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" font-family="DejaVu Sans, sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${w}" height="${h}" fill="#fff"/>`,
    `<text x="${w / 2}" y="${titleY}" text-anchor="middle" font-size="15">${esc(title)}</text>`,
  ];
}

export function lineChart({
  title,
  xLabel,
  yLabel,
  series,
}: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}): string {
  const [w, h, left, right, top, bottom] = [720, 400, 70, 170, 40, 50];
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const yMax = niceCeil(Math.max(...ys, 1));
  const sx = (x: number) => left + ((x - xMin) / Math.max(1, xMax - xMin)) * (w - left - right);
  const sy = (y: number) => h - bottom - (y / yMax) * (h - top - bottom);
  const ticks = Array.from({ length: 5 }, (_, i) => (yMax * (i + 1)) / 5);
  return [
    ...svgStart(w, h, title, 22),
    `<line x1="${left}" y1="${h - bottom}" x2="${w - right}" y2="${h - bottom}" stroke="#555"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}" stroke="#555"/>`,
    ...ticks.map(
      (t) =>
        `<line x1="${left}" y1="${sy(t)}" x2="${w - right}" y2="${sy(t)}" stroke="#ddd"/><text x="${left - 6}" y="${sy(t) + 4}" text-anchor="end">${+t.toPrecision(3)}</text>`,
    ),
    ...[...new Set(xs)].map((x) => `<text x="${sx(x)}" y="${h - bottom + 18}" text-anchor="middle">${x}</text>`),
    `<text x="${(left + w - right) / 2}" y="${h - 10}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${(top + h - bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
    ...series.map((s, i) => {
      const color = COLORS[i % COLORS.length];
      const path = s.points
        .map((p, j) => `${j === 0 ? "M" : "L"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
        .join(" ");
      const dots = s.points.map((p) => `<circle cx="${sx(p.x)}" cy="${sy(p.y)}" r="3" fill="${color}"/>`).join("");
      return `<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>${dots}<text x="${w - right + 10}" y="${top + 16 * i + 10}" fill="${color}">${esc(s.name)}</text>`;
    }),
    "</svg>",
    "",
  ].join("\n");
}

function niceCeil(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((v) => v >= value) ?? value;
}

/** Horizontal bars, one per measurement, with their values written beside them. */
export function barChart({
  title,
  unit,
  bars,
}: {
  title: string;
  unit: string;
  bars: { label: string; value: number }[];
}): string {
  const [w, left, right, top, row] = [720, 330, 90, 50, 34];
  const h = top + bars.length * row + 30;
  const max = niceCeil(Math.max(...bars.map((b) => b.value), Number.MIN_VALUE));
  const sx = (v: number) => (v / max) * (w - left - right);
  return [
    ...svgStart(w, h, title, 24),
    ...bars.map((b, i) => {
      const y = top + i * row;
      const color = COLORS[i % COLORS.length];
      return [
        `<text x="${left - 8}" y="${y + 17}" text-anchor="end">${esc(b.label)}</text>`,
        `<rect x="${left}" y="${y + 4}" width="${sx(b.value).toFixed(1)}" height="${row - 10}" fill="${color}"/>`,
        `<text x="${left + sx(b.value) + 6}" y="${y + 17}">${+b.value.toPrecision(3)} ${esc(unit)}</text>`,
      ].join("");
    }),
    "</svg>",
    "",
  ].join("\n");
}
