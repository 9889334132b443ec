/**
 * Charts: uPlot for the CPU histories (a fast canvas chart, ~20 KB gzip),
 * and a plain canvas sparkline for the network rates. Colours come from the
 * page's CSS variables, so light and dark themes apply; a theme change
 * rebuilds the chart.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useEffect, useRef } from "preact/hooks";

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

const darkQuery = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;

export interface HistoryChartProps {
  /** Percentages 0–100, oldest first. */
  values: readonly number[];
  /** Changes when the values do (the time of the last sample): redraws are skipped otherwise, e.g. while the table scrolls. */
  stamp: number | null;
  /** How many samples the x axis spans (the newest at the right edge). */
  window: number;
  /** Seconds between samples (the x axis counts seconds back from now). */
  stepSeconds: number;
  height: number;
  label: string;
}

/** A 0–100 % history as a filled line; the x axis is seconds ago. */
export function HistoryChart({ values, stamp, window: span, stepSeconds, height, label }: HistoryChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  const build = (): void => {
    const el = box.current;
    if (el === null) return;
    plot.current?.destroy();
    const line = cssVar("--accent");
    const grid = cssVar("--grid");
    const text = cssVar("--muted");
    plot.current = new uPlot(
      {
        width: Math.max(100, el.clientWidth),
        height,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: [-(span - 1) * stepSeconds, 0] }, y: { range: [0, 100] } },
        axes: [
          {
            stroke: text,
            grid: { stroke: grid, width: 1 },
            ticks: { show: false },
            space: 60,
            incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300],
            values: (_u, ticks) => ticks.map((t) => (t === 0 ? "now" : `${Math.round(-t)}s`)),
          },
          { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { show: false }, size: 36, values: (_u, ticks) => ticks.map((t) => `${t}%`) },
        ],
        series: [{}, { label, stroke: line, width: 1.5, fill: `${line}33`, points: { show: false } }],
      },
      toData(values, stepSeconds),
      el,
    );
  };

  useEffect(() => {
    build();
    const el = box.current;
    const resize = new ResizeObserver(() => {
      if (plot.current !== null && el !== null && el.clientWidth > 0) plot.current.setSize({ width: el.clientWidth, height });
    });
    if (el !== null) resize.observe(el);
    const onTheme = (): void => {
      build();
    };
    darkQuery?.addEventListener("change", onTheme);
    return () => {
      resize.disconnect();
      darkQuery?.removeEventListener("change", onTheme);
      plot.current?.destroy();
      plot.current = null;
    };
  }, [height]);

  useEffect(() => {
    plot.current?.setData(toData(values, stepSeconds));
  }, [stamp]);

  return <div class="chart" ref={box} role="img" aria-label={`${label} history`} />;
}

function toData(values: readonly number[], step: number): uPlot.AlignedData {
  const n = values.length;
  const xs = new Array<number>(n);
  for (let i = 0; i < n; i++) xs[i] = (i - (n - 1)) * step;
  return [xs, values as number[]];
}

/** A tiny line of recent values, scaled to its own peak. */
export function Sparkline({ values, stamp, label }: { values: readonly number[]; stamp: number | null; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current;
    if (c === null) return;
    const ratio = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const h = c.clientHeight;
    if (w === 0 || h === 0) return;
    if (c.width !== Math.round(w * ratio)) c.width = Math.round(w * ratio);
    if (c.height !== Math.round(h * ratio)) c.height = Math.round(h * ratio);
    const g = c.getContext("2d");
    if (g === null) return;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, h);
    if (values.length < 2) return;
    let peak = 0;
    for (const v of values) if (v > peak) peak = v;
    const scale = peak > 0 ? (h - 2) / peak : 0;
    const dx = w / (values.length - 1);
    g.beginPath();
    values.forEach((v, i) => {
      const x = i * dx;
      const y = h - 1 - v * scale;
      if (i === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.strokeStyle = cssVar("--accent");
    g.lineWidth = 1.5;
    g.stroke();
  }, [stamp]);
  return <canvas class="spark" ref={canvas} role="img" aria-label={label} />;
}
