/// <reference lib="dom" />
// The usage chart's webview (its own bundle, dist/usageChart.js): draws the panels the
// extension computed (usageChartModel) with uPlot, in the colours of the VS Code theme
// (its CSS variables), redrawn when the theme or the size changes.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './usageChart.css';
import type { ChartPanel, ChartRequest, ChartUpdate, UsageChartData } from '../usageChartModel';

interface VsCodeApi {
  postMessage(message: ChartRequest): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const SERIES_COLOURS = ['blue', 'orange', 'green', 'purple', 'red', 'yellow'].map((c) => `--vscode-charts-${c}`);
const HEIGHT = 260;

const vscode = acquireVsCodeApi();
const charts = document.getElementById('charts') as HTMLElement;
const forecasts = document.getElementById('forecasts') as HTMLElement;
const span = document.getElementById('span') as HTMLSelectElement;
let latest: UsageChartData | undefined;
let plots: uPlot[] = [];

window.addEventListener('message', (event: MessageEvent<ChartUpdate>) => {
  const update = event.data;
  span.value = String(update.spanHours);
  if (update.type === 'error') {
    latest = undefined;
    showMessage(`The usage history could not be read: ${update.message}`);
    return;
  }
  latest = update.chart;
  draw(update.chart);
});
span.addEventListener('change', () => vscode.postMessage({ type: 'span', hours: Number(span.value) }));
new MutationObserver(() => latest && draw(latest)).observe(document.body, { attributes: true, attributeFilter: ['class'] });
window.addEventListener('resize', () => {
  for (const plot of plots) {
    plot.setSize({ width: chartWidth(), height: HEIGHT });
  }
});
vscode.postMessage({ type: 'ready' });

function draw(chart: UsageChartData): void {
  clear();
  forecasts.replaceChildren(...chart.forecasts.map((text) => item(text)));
  if (chart.panels.length === 0) {
    showMessage('No usage recorded in this span yet.');
    return;
  }
  for (const panel of chart.panels) {
    const section = document.createElement('section');
    const title = document.createElement('h2');
    title.textContent = `${panel.title} window · % used`;
    section.append(title);
    if (panel.series.some((s) => s.projection)) {
      const note = document.createElement('p');
      note.className = 'note';
      note.textContent = 'Dashed: where the recent pace leads, until the reset or 100 %.';
      section.append(note);
    }
    charts.append(section);
    plots.push(new uPlot(options(panel), [panel.xs, ...panel.series.map((s) => s.values)], section));
  }
}

function options(panel: ChartPanel): uPlot.Options {
  const foreground = themeColour('--vscode-foreground', '#cccccc');
  const grid = themeColour('--vscode-editorWidget-border', 'rgba(128,128,128,0.35)');
  const axis = { stroke: foreground, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return {
    width: chartWidth(),
    height: HEIGHT,
    scales: { y: { range: [0, 100] } },
    cursor: { drag: { x: false, y: false } },
    // A projection has its account's colour and no legend row of its own.
    hooks: { init: [(u: uPlot) => hideProjectionsInLegend(u, panel)] },
    axes: [axis, { ...axis, values: (_u, ticks) => ticks.map((t) => `${t}%`) }],
    series: [
      { label: 'time' },
      ...panel.series.map((s) => ({
        label: s.label,
        stroke: themeColour(SERIES_COLOURS[s.colorIndex % SERIES_COLOURS.length] as string, '#3794ff'),
        width: s.projection ? 1.5 : 2,
        dash: s.projection ? [6, 5] : [],
        spanGaps: true,
        points: { show: false },
        value: (_u: uPlot, v: number | null) => (v === null ? '–' : `${Math.round(v)}%`),
      })),
    ],
  };
}

function hideProjectionsInLegend(u: uPlot, panel: ChartPanel): void {
  const rows = u.root.querySelectorAll('.u-legend .u-series');
  panel.series.forEach((s, i) => {
    if (s.projection) {
      rows[i + 1]?.classList.add('projection');
    }
  });
}

function themeColour(variable: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(variable).trim() || fallback;
}

function chartWidth(): number {
  return Math.max(320, charts.clientWidth - 8);
}

function clear(): void {
  for (const plot of plots) {
    plot.destroy();
  }
  plots = [];
  charts.replaceChildren();
}

function showMessage(text: string): void {
  clear();
  const p = document.createElement('p');
  p.className = 'empty';
  p.textContent = text;
  charts.append(p);
}

function item(text: string): HTMLElement {
  const li = document.createElement('li');
  li.textContent = text;
  return li;
}
