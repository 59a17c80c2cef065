interface Bar {
  key: string;
  value: number;
  /** The exact numbers, shown as the bar's <title>. */
  tip: string;
}

/** Bars as hand-drawn SVG (no chart library); the caption reads first label · summary · last label. */
export function BarChart(props: { bars: Bar[]; height: number; top: number; bottom: number; label: string; first: string; summary: string; last: string }) {
  const { bars, height, top } = props;
  const width = 600;
  const plot = height - top - props.bottom;
  const slot = width / Math.max(1, bars.length);
  const max = Math.max(0, ...bars.map((bar) => bar.value));
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" height={height} preserveAspectRatio="none" role="img" aria-label={props.label}>
        <line x1="0" x2={width} y1={top + plot} y2={top + plot} class="chart-axis" />
        <line x1="0" x2={width} y1={top} y2={top} class="chart-grid" />
        {bars.map((bar, i) => {
          const h = max > 0 ? Math.max(bar.value > 0 ? 2 : 0, (bar.value / max) * plot) : 0;
          return (
            <rect key={bar.key} class="chart-bar" x={i * slot + slot * 0.15} y={top + plot - h} width={slot * 0.7} height={h} rx="2">
              <title>{bar.tip}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption class="chart-caption">
        <span class="chart-first">{props.first}</span>
        <span class="chart-summary">{props.summary}</span>
        <span class="chart-last">{props.last}</span>
      </figcaption>
    </figure>
  );
}
