// The FAR/FRR curve as SVG: rates on a log scale against the distance threshold, with markers.

const NS = "http://www.w3.org/2000/svg";
const W = 640, H = 340, LEFT = 56, RIGHT = 16, TOP = 44, BOTTOM = 40;
const FLOOR = 1e-4; // rates below are drawn on the bottom edge

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// The rate at a threshold, read off the curve by linear interpolation.
export function rateAt(curve, threshold, which) {
  if (!curve.length) return 0;
  if (threshold <= curve[0].threshold) return curve[0][which];
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1], b = curve[i];
    if (threshold <= b.threshold) {
      const f = b.threshold === a.threshold ? 1 : (threshold - a.threshold) / (b.threshold - a.threshold);
      return a[which] + f * (b[which] - a[which]);
    }
  }
  return curve[curve.length - 1][which];
}

export function drawCurve(figure, curve, marks) {
  const xs = curve.map((p) => p.threshold).concat([marks.current, marks.recommended]);
  const x0 = Math.max(0, Math.min(...xs) - 0.02), x1 = Math.max(...xs) + 0.02;
  const x = (t) => LEFT + ((t - x0) / (x1 - x0)) * (W - LEFT - RIGHT);
  const y = (r) => TOP + (Math.log10(Math.max(r, FLOOR)) / Math.log10(FLOOR)) * (H - TOP - BOTTOM);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "curve-title curve-desc", class: "chart" });
  root.append(svg("title", { id: "curve-title" }, "False accepts and false rejects against the threshold"),
    svg("desc", { id: "curve-desc" }, `Current threshold ${marks.current.toFixed(4)}, recommended ${marks.recommended.toFixed(4)}, target false-accept rate ${marks.target}.`));
  for (const r of [1, 0.1, 0.01, 0.001, 0.0001]) {
    root.append(svg("line", { x1: LEFT, x2: W - RIGHT, y1: y(r), y2: y(r), class: "grid" }),
      svg("text", { x: LEFT - 6, y: y(r) + 4, "text-anchor": "end", class: "tick" }, `${+(r * 100).toPrecision(2)}%`));
  }
  for (let t = Math.ceil(x0 * 10) / 10; t <= x1; t += 0.1) {
    root.append(svg("text", { x: x(t), y: H - BOTTOM + 16, "text-anchor": "middle", class: "tick" }, t.toFixed(1)));
  }
  root.append(svg("text", { x: (LEFT + W - RIGHT) / 2, y: H - 6, "text-anchor": "middle", class: "axis" }, "threshold (face distance)"));
  const line = (which, cls) => svg("polyline", { class: cls, fill: "none",
    points: curve.map((p) => `${x(p.threshold).toFixed(1)},${y(p[which]).toFixed(1)}`).join(" ") });
  root.append(line("far", "far"), line("frr", "frr"));
  root.append(svg("line", { x1: LEFT, x2: W - RIGHT, y1: y(marks.target), y2: y(marks.target), class: "target" }),
    svg("text", { x: W - RIGHT - 4, y: y(marks.target) - 4, "text-anchor": "end", class: "target-label" }, `target ${marks.target}`));
  for (const [value, cls, label] of [[marks.current, "current", "current"], [marks.recommended, "recommended", "recommended"]]) {
    root.append(svg("line", { x1: x(value), x2: x(value), y1: TOP, y2: H - BOTTOM, class: cls }),
      svg("text", { x: x(value) + 4, y: cls === "current" ? TOP + 12 : TOP + 28, class: `${cls}-label` }, `${label} ${value.toFixed(3)}`));
  }
  const legend = svg("g", { class: "legend" });
  legend.append(svg("line", { x1: LEFT, x2: LEFT + 24, y1: 14, y2: 14, class: "far" }),
    svg("text", { x: LEFT + 30, y: 18 }, "strangers admitted (FAR)"),
    svg("line", { x1: LEFT + 220, x2: LEFT + 244, y1: 14, y2: 14, class: "frr" }),
    svg("text", { x: LEFT + 250, y: 18 }, "staff refused (FRR)"));
  root.append(legend);
  figure.replaceChildren(root);
}
