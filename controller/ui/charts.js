// The dashboard's line charts (Chart.js from /vendor): one set of options, one way to add a point,
// and one plugin that draws vertical marks: the timeline steps on the apps' charts
// (dashboard.js), the rate steps and the S{n} actions on the stream apps' (stream.js).

export const MAX_POINTS = 300;

Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
Chart.defaults.font.size = 11;
Chart.defaults.animation = false;

const LABEL_ROW_PX = 11;

/**
 * Vertical lines at x with their label, from `options.plugins.fogsimMarks.marks()`
 * ([{x, label, color, dash}]; read from the hooks' own options, which Chart.js does not treat
 * as scriptable, so the function is not called in its place), drawn after the datasets. A label that would overlap the one
 * before it goes one row lower. With `extendX` the x axis reaches out to the latest mark, so a
 * mark shows before the next point arrives. What was drawn is kept on `chart.$fogsimMarks`
 * ([{x, px, label}]) for the tests and the curious.
 */
const marksPlugin = {
  id: 'fogsimMarks',
  defaults: { marks: () => [], extendX: false },
  afterDataLimits(chart, args, o) {
    if (args.scale.axis !== 'x' || !o.extendX) return;
    for (const m of o.marks()) if (m.x !== null && m.x > args.scale.max) args.scale.max = m.x;
  },
  afterDatasetsDraw(chart, _args, o) {
    const { ctx, chartArea: area, scales: { x: scale } } = chart;
    const marks = o.marks().filter((m) => m.x !== null && m.x !== undefined);
    chart.$fogsimMarks = [];
    if (!scale || !marks.length) return;
    ctx.save();
    ctx.lineWidth = 1.5;
    ctx.font = '10px sans-serif';
    const rowsEnd = []; // per label row, the right end of its last label
    for (const m of [...marks].sort((a, b) => a.x - b.x)) {
      const px = scale.getPixelForValue(m.x);
      if (px < area.left - 0.5 || px > area.right + 0.5) continue;
      ctx.strokeStyle = ctx.fillStyle = m.color;
      ctx.setLineDash(m.dash ?? [5, 3]);
      ctx.beginPath();
      ctx.moveTo(px, area.top);
      ctx.lineTo(px, area.bottom);
      ctx.stroke();
      const width = ctx.measureText(m.label).width;
      const lx = Math.min(px + 3, area.right - width);
      let row = rowsEnd.findIndex((end) => end <= lx);
      if (row < 0) row = rowsEnd.length;
      rowsEnd[row] = lx + width + 4;
      ctx.fillText(m.label, lx, area.top + 10 + row * LABEL_ROW_PX);
      chart.$fogsimMarks.push({ x: m.x, px, label: m.label });
    }
    ctx.restore();
  },
};

/** A dataset's look: a thin line with small points. */
export const series = (label, color, extra = {}) => ({ label, data: [], borderColor: color, backgroundColor: color, borderWidth: 1.5, tension: 0.15, pointRadius: 2, ...extra });

/**
 * A line chart of {x: seconds, y} points with the marks of `marks()` drawn on it.
 * `y`: the y axis' options beside the defaults (beginAtZero, a title); `tooltip`: Chart.js' tooltip options.
 */
export function lineChart(canvas, datasets, { marks = () => [], extendX = false, y = {}, tooltip } = {}) {
  return new Chart(canvas, {
    type: 'line',
    plugins: [marksPlugin],
    data: { datasets },
    options: {
      responsive: true, maintainAspectRatio: false, parsing: false,
      scales: {
        x: { type: 'linear', title: { display: true, text: 'time (s)' }, ticks: { maxTicksLimit: 6 } },
        y: { ticks: { maxTicksLimit: 5 }, ...y },
      },
      plugins: { legend: { labels: { boxWidth: 12, boxHeight: 2 } }, fogsimMarks: { marks, extendX }, ...(tooltip ? { tooltip } : {}) },
    },
  });
}

/** Adds a point to a dataset, dropping the oldest beyond MAX_POINTS. */
export function pushPoint(dataset, point) {
  dataset.data.push(point);
  if (dataset.data.length > MAX_POINTS) dataset.data.shift();
}
