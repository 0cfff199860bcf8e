/**
 * Charts through Chart.js, loaded by the page from this server
 * (chart.umd.min.js sets the global). Every chart made is destroyed before
 * the next view renders, so switching periods never stacks canvases.
 */
import type { Chart as ChartType, ChartConfiguration } from "chart.js";

declare const Chart: typeof ChartType;

const PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#ea580c", "#475569", "#0d9488", "#9333ea"];
const live: ChartType[] = [];

export function destroyCharts(): void {
  while (live.length) live.pop()!.destroy();
}

function draw(canvas: HTMLCanvasElement, config: ChartConfiguration): void {
  live.push(new Chart(canvas, config));
}

const common = { responsive: true, maintainAspectRatio: false, animation: false as const };

/** Credits per day, one stacked colour per feature. */
export function stackedBars(canvas: HTMLCanvasElement, labels: string[], series: { label: string; data: number[] }[], yTitle: string): void {
  draw(canvas, {
    type: "bar",
    data: { labels, datasets: series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: PALETTE[i % PALETTE.length]! })) },
    options: { ...common, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: yTitle } } } },
  });
}

/** One or more lines over the days of the period. */
export function lines(canvas: HTMLCanvasElement, labels: string[], series: { label: string; data: number[] }[], yTitle: string): void {
  draw(canvas, {
    type: "line",
    data: {
      labels,
      datasets: series.map((s, i) => ({
        label: s.label,
        data: s.data,
        borderColor: PALETTE[i % PALETTE.length]!,
        backgroundColor: PALETTE[i % PALETTE.length]!,
        tension: 0,
        pointRadius: 2,
      })),
    },
    options: { ...common, scales: { y: { beginAtZero: true, title: { display: true, text: yTitle } } } },
  });
}
