// The group map, drawn in the browser: one canvas, cells coloured by group (or value), the
// hovered cell's group lit within one animation frame with no server round trip, a click or an
// arrow key selects a cell (sent back to Python as the state value "cell").
//
// Data: the binary payload of bnviz.figures.groupmap.map_payload (a JSON header and typed arrays).
// The container exposes the lit group as data-lit-group="<id>" ("" when none) for tests.
// Optional (quiz): marks drawn over cells (header.mark_styles, array "marks"), no lighting
// (header.light === false), and clicks that toggle a cell's mark 1 (header.clicks === "toggle"),
// sent back as the state value "marked" (a list of (n, c, h, w)); data-marked counts them.

const MAGIC = "BNVZMAP1";
const DIM = 0.78; // how far cells outside the lit group fade to white

function readPayload(bytes) {
  // The bytes may sit at any offset of a shared buffer: copy them to an aligned one.
  const copy = bytes.slice();
  const buffer = copy.buffer;
  const magic = new TextDecoder().decode(copy.subarray(0, 8));
  if (magic !== MAGIC) throw new Error("bnviz: not a group-map payload");
  const length = new DataView(buffer).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(copy.subarray(12, 12 + length)));
  const base = 12 + length;
  const types = {
    u1: Uint8Array, u2: Uint16Array, i4: Int32Array, f4: Float32Array, f8: Float64Array,
  };
  const arrays = {};
  for (const [name, [dtype, offset, count]] of Object.entries(header.arrays)) {
    arrays[name] = new types[dtype](buffer, base + offset, count);
  }
  return { header, arrays };
}

function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

function fitText(ctx, text, width) {
  if (ctx.measureText(text).width <= width) return text;
  let t = text;
  while (t.length > 1 && ctx.measureText(t + "…").width > width) t = t.slice(0, -1);
  return t + "…";
}

export default function ({ parentElement, data, setStateValue }) {
  const { header: H, arrays: A } = readPayload(data);
  const [S, C, R, W] = H.shape;
  const font = H.font_px || 13;
  const lights = H.light !== false;
  const toggles = H.clicks === "toggle";
  const styles = H.mark_styles || [];

  // One root per mount; a rerun replaces its contents.
  let root = parentElement.querySelector(".bnviz-map");
  if (root && root._cleanup) root._cleanup();
  if (!root) {
    root = document.createElement("div");
    root.className = "bnviz-map";
    parentElement.appendChild(root);
  }
  root.innerHTML = "";
  root.tabIndex = 0;
  root.setAttribute("role", "application");
  root.setAttribute(
    "aria-label",
    H.clicks === "toggle"
      ? "Cell map: click a cell to mark it, click it again to unmark it"
      : "Group map: hover a cell to light its group, click or use the arrow keys to select a cell",
  );
  const title = document.createElement("div");
  title.className = "bnviz-title";
  title.textContent = H.title || "";
  if (H.title) root.appendChild(title);
  const canvas = document.createElement("canvas");
  root.appendChild(canvas);
  const tip = document.createElement("div");
  tip.className = "bnviz-tip";
  root.appendChild(tip);
  const save = document.createElement("button");
  save.className = "bnviz-save";
  save.type = "button";
  save.title = "Save the map as PNG";
  save.textContent = "PNG";
  root.appendChild(save);
  const ctx = canvas.getContext("2d");

  // Geometry, from the container's width.
  let g = {};
  function layout() {
    const width = Math.max(200, root.clientWidth || parentElement.clientWidth || 600);
    ctx.font = `${font}px sans-serif`;
    const left = Math.min(
      160,
      8 + Math.max(...H.sample_names.map((s) => ctx.measureText(s).width)),
    );
    const top = font + 10;
    const gap = 6;
    const room = width - left - 4 - (C - 1) * gap;
    // Cells may be a fraction of a pixel wide: each is drawn between rounded edges.
    let cell = Math.max(2, Math.min(40, room / (C * W)));
    if (H.max_height_px) {
      const tall = (H.max_height_px - top - (S - 1) * gap) / (S * R);
      cell = Math.max(2, Math.min(cell, tall));
    }
    const inner = cell >= 5 ? 1 : 0; // a white line between cells, where they are big enough
    const tileW = Math.round(W * cell), tileH = Math.round(R * cell);
    g = { left, top, gap, cell, inner, tileW, tileH };
    g.width = left + C * tileW + (C - 1) * gap + 4;
    root._geometry = g; // for tests and tools: where the cells are
    g.height = top + S * tileH + (S - 1) * gap + 4;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(g.width * dpr);
    canvas.height = Math.round(g.height * dpr);
    canvas.style.width = `${g.width}px`;
    canvas.style.height = `${g.height}px`;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  const flat = (s, c, r, w) => ((s * C + c) * R + r) * W + w;
  function position(cell) {
    // Drawn position of a real (n, c, h, w), or null.
    if (!cell) return null;
    const p = [H.samples.indexOf(cell[0]), H.channels.indexOf(cell[1]),
      H.rows.indexOf(cell[2]), H.cols.indexOf(cell[3])];
    return p.some((v) => v < 0) ? null : p;
  }
  const real = (p) => [H.samples[p[0]], H.channels[p[1]], H.rows[p[2]], H.cols[p[3]]];

  let selected = position(H.selected);
  if (toggles && A.marks) keepLocalMarks();
  let hovered = null; // drawn position under the mouse (or lit from a linked map)
  let frame = 0;

  function litGroup() {
    if (!lights) return null;
    const p = hovered || selected;
    return p ? A.group[flat(...p)] : null;
  }

  // A local normalization lights the window of cells one output reads, not a group.
  function windowTest() {
    const p = hovered || selected;
    if (!H.window || !p) return null;
    const [n0, c0, h0, w0] = real(p);
    const ext = H.window.extents;
    if (H.window.axis === "C") {
      const [before, after] = ext[0];
      return (n, c, h, w) => n === n0 && h === h0 && w === w0 && c >= c0 - before && c <= c0 + after;
    }
    const [[rb, ra], [cb, ca]] = ext;
    return (n, c, h, w) =>
      n === n0 && c === c0 && h >= h0 - rb && h <= h0 + ra && w >= w0 - cb && w <= w0 + ca;
  }

  function draw() {
    frame = 0;
    const inWindow = windowTest();
    const lit = H.window ? null : litGroup();
    ctx.clearRect(0, 0, g.width, g.height);
    ctx.fillStyle = "#262730";
    ctx.font = `${font}px sans-serif`;
    ctx.textBaseline = "alphabetic";
    ctx.textAlign = "center";
    // Every k-th channel's name where the tiles are narrower than the names.
    const widest = Math.max(...H.channel_names.map((t) => ctx.measureText(t).width));
    const every = Math.max(1, Math.ceil((Math.min(widest, 90) + 6) / (g.tileW + g.gap)));
    for (let c = 0; c < C; c += every) {
      const x0 = g.left + c * (g.tileW + g.gap);
      const room = every * (g.tileW + g.gap) - 4;
      ctx.fillText(fitText(ctx, H.channel_names[c], room), x0 + g.tileW / 2, font);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const rowEvery = Math.max(1, Math.ceil((font + 2) / (g.tileH + g.gap)));
    for (let s = 0; s < S; s += rowEvery) {
      const y0 = g.top + s * (g.tileH + g.gap);
      ctx.fillText(fitText(ctx, H.sample_names[s], g.left - 8), g.left - 6, y0 + g.tileH / 2);
    }
    const edge = (k) => Math.round(k * g.cell); // a cell's left or top edge within its tile
    for (let s = 0; s < S; s++) {
      for (let c = 0; c < C; c++) {
        const x0 = g.left + c * (g.tileW + g.gap);
        const y0 = g.top + s * (g.tileH + g.gap);
        for (let r = 0; r < R; r++) {
          const top = y0 + edge(r), height = edge(r + 1) - edge(r) - g.inner;
          for (let w = 0; w < W; w++) {
            const k = flat(s, c, r, w);
            let red = A.rgb[3 * k], green = A.rgb[3 * k + 1], blue = A.rgb[3 * k + 2];
            const outside = inWindow
              ? !inWindow(H.samples[s], H.channels[c], H.rows[r], H.cols[w])
              : lit !== null && A.group[k] !== lit;
            if (outside) {
              red += (255 - red) * DIM; green += (255 - green) * DIM; blue += (255 - blue) * DIM;
            } else if (lit !== null && !H.distinct) {
              red = 0; green = 114; blue = 178; // a lit group among too many: strong blue
            }
            ctx.fillStyle = `rgb(${red | 0},${green | 0},${blue | 0})`;
            ctx.fillRect(x0 + edge(w), top, edge(w + 1) - edge(w) - g.inner, height);
          }
        }
      }
    }
    if (A.marks) drawMarks(edge);
    if (selected) {
      const [s, c, r, w] = selected;
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 2;
      ctx.strokeRect(
        g.left + c * (g.tileW + g.gap) + edge(w) - 1,
        g.top + s * (g.tileH + g.gap) + edge(r) - 1,
        edge(w + 1) - edge(w) - g.inner + 2, edge(r + 1) - edge(r) - g.inner + 2,
      );
    }
    root.setAttribute("data-lit-group", lit === null ? "" : String(A.group_id[lit]));
    const centre = hovered || selected;
    root.setAttribute("data-lit-window", inWindow && centre ? real(centre).join(",") : "");
  }

  function drawMarks(edge) {
    // Each mark centred in its cell, in a shape as well as a colour (readable without colour).
    let count = 0;
    for (let s = 0; s < S; s++) {
      for (let c = 0; c < C; c++) {
        for (let r = 0; r < R; r++) {
          for (let w = 0; w < W; w++) {
            const m = A.marks[flat(s, c, r, w)];
            if (m === 1) count++;
            const style = styles[m - 1];
            if (!m || !style) continue;
            const x0 = g.left + c * (g.tileW + g.gap) + edge(w);
            const y0 = g.top + s * (g.tileH + g.gap) + edge(r);
            const size = Math.min(edge(w + 1) - edge(w), edge(r + 1) - edge(r)) - g.inner;
            const cx = x0 + size / 2, cy = y0 + size / 2, radius = Math.max(2, size * 0.3);
            const line = Math.max(1.5, size * 0.1);
            const d = radius * 0.9;
            ctx.beginPath();
            if (style.style === "cross") {
              ctx.moveTo(cx - d, cy - d); ctx.lineTo(cx + d, cy + d);
              ctx.moveTo(cx + d, cy - d); ctx.lineTo(cx - d, cy + d);
            } else {
              ctx.arc(cx, cy, radius, 0, 2 * Math.PI);
            }
            // A white halo under every mark: it stays visible on any cell colour.
            ctx.strokeStyle = "#fff";
            ctx.lineWidth = line + 3;
            ctx.stroke();
            ctx.strokeStyle = style.colour;
            ctx.fillStyle = style.colour;
            ctx.lineWidth = line;
            if (style.style === "dot") ctx.fill();
            ctx.stroke();
          }
        }
      }
    }
    root.setAttribute("data-marked", String(count));
  }

  function request() {
    if (!frame) frame = requestAnimationFrame(draw);
  }

  function cellAt(event) {
    const box = canvas.getBoundingClientRect();
    const x = event.clientX - box.left - g.left, y = event.clientY - box.top - g.top;
    if (x < 0 || y < 0) return null;
    const c = Math.floor(x / (g.tileW + g.gap)), s = Math.floor(y / (g.tileH + g.gap));
    const w = Math.floor((x - c * (g.tileW + g.gap)) / g.cell);
    const r = Math.floor((y - s * (g.tileH + g.gap)) / g.cell);
    if (c >= C || s >= S || w >= W || r >= R || w < 0 || r < 0) return null;
    return [s, c, r, w];
  }

  function tipText(p) {
    const k = flat(...p);
    const q = A.group[k];
    const cell = real(p);
    const lines = [
      `(n, c, h, w) = (${cell.join(", ")})`,
      `${H.sample_names[p[0]]} · ${H.channel_names[p[1]]}`,
    ];
    if (H.statistics) lines.push(`group ${A.group_id[q]}`);
    lines.push(`x = ${fmt(A.x[k])}`);
    if (H.statistics && H.mean_square) {
      const m = A.group_mean[q];
      lines.push(`mean x² = ${fmt(A.group_var[q] + m * m)}`);
    } else if (H.statistics) {
      lines.push(
        `μ = ${fmt(A.group_mean[q])}` + (H.uses_variance ? `, σ² = ${fmt(A.group_var[q])}` : ""),
      );
    }
    lines.push(`${H.y_label || "y"} = ${fmt(A.y[k])}`);
    (H.extra_names || []).forEach((name, i) => lines.push(`${name} = ${fmt(A[`extra${i}`][k])}`));
    if (A.marks && styles[A.marks[k] - 1]) lines.push(styles[A.marks[k] - 1].name);
    return lines.join("\n");
  }

  function announce(cell) {
    window.dispatchEvent(
      new CustomEvent("bnviz-map-hover", { detail: { link: H.link, cell, source: root } }),
    );
  }

  function onMove(event) {
    const p = cellAt(event);
    const same = p && hovered && p.every((v, i) => v === hovered[i]);
    if (!same) {
      hovered = p;
      request();
      if (H.link) announce(p ? real(p) : null);
    }
    if (p) {
      tip.textContent = tipText(p);
      tip.style.display = "block";
      const box = root.getBoundingClientRect();
      const x = event.clientX - box.left + 14, y = event.clientY - box.top + 14;
      tip.style.left = `${Math.min(x, Math.max(0, box.width - tip.offsetWidth - 4))}px`;
      tip.style.top = `${y}px`;
    } else {
      tip.style.display = "none";
    }
  }

  function onLeave() {
    hovered = null;
    tip.style.display = "none";
    request();
    if (H.link) announce(null);
  }

  function select(p) {
    selected = p;
    request();
    setStateValue("cell", real(p));
  }

  // Toggled marks: a rerun started by an earlier click may bring marks older than the ones on
  // screen; those are ignored (the newer ones are on their way to the server).  Marks the
  // server changed otherwise (the page's list of cells) are taken.
  function markedText() {
    const on = [];
    for (let i = 0; i < A.marks.length; i++) if (A.marks[i] === 1) on.push(i);
    return on.join(",");
  }

  function keepLocalMarks() {
    const identity = JSON.stringify([H.file_name, H.full_shape, H.selected]);
    const incoming = markedText();
    const local = root._marks;
    if (local && local.identity === identity && incoming !== local.text
        && local.sent.includes(incoming)) {
      A.marks.fill(0);
      if (local.text) local.text.split(",").forEach((i) => { A.marks[Number(i)] = 1; });
    } else {
      root._marks = { identity, text: incoming, sent: [] };
    }
  }

  function toggle(p) {
    if (selected && p.every((v, i) => v === selected[i])) return; // the given cell stays
    const k = flat(...p);
    A.marks[k] = A.marks[k] === 1 ? 0 : 1;
    request();
    const marked = [];
    for (let i = 0; i < A.marks.length; i++) {
      if (A.marks[i] !== 1) continue;
      const w = i % W, r = Math.floor(i / W) % R, c = Math.floor(i / (W * R)) % C;
      marked.push(real([Math.floor(i / (W * R * C)), c, r, w]));
    }
    const local = root._marks;
    local.sent = [...local.sent.slice(-30), local.text];
    local.text = markedText();
    setStateValue("marked", marked);
  }

  function onClick(event) {
    const p = cellAt(event);
    if (p && toggles && A.marks) toggle(p);
    else if (p) select(p);
  }

  function onKey(event) {
    const moves = { ArrowLeft: [3, -1], ArrowRight: [3, 1], ArrowUp: [2, -1], ArrowDown: [2, 1] };
    const move = moves[event.key];
    if (!move || toggles) return;
    event.preventDefault();
    const p = selected ? [...selected] : [0, 0, 0, 0];
    if (selected) {
      // Within a tile, then on to the next tile (channel across, sample down).
      const [axis, step] = move;
      const outer = axis === 3 ? 1 : 0;
      const sizes = [S, C, R, W];
      p[axis] += step;
      if (p[axis] < 0 || p[axis] >= sizes[axis]) {
        const next = p[outer] + step;
        if (next < 0 || next >= sizes[outer]) return;
        p[outer] = next;
        p[axis] = step > 0 ? 0 : sizes[axis] - 1;
      }
    }
    hovered = null;
    select(p);
  }

  function onLinked(event) {
    const { link, cell, source } = event.detail;
    if (!H.link || link !== H.link || source === root) return;
    hovered = position(cell);
    request();
  }

  function onSave() {
    const a = document.createElement("a");
    a.href = canvas.toDataURL("image/png");
    a.download = `${H.file_name || "group-map"}.png`;
    a.click();
  }

  layout();
  draw();
  let seenWidth = root.clientWidth;
  const resize = new ResizeObserver(() => {
    // Resizing a canvas clears it: only when the container's width really changed.
    if (root.clientWidth === seenWidth) return;
    seenWidth = root.clientWidth;
    layout();
    draw();
  });
  resize.observe(root);
  canvas.addEventListener("mousemove", onMove);
  canvas.addEventListener("mouseleave", onLeave);
  canvas.addEventListener("click", onClick);
  root.addEventListener("keydown", onKey);
  save.addEventListener("click", onSave);
  window.addEventListener("bnviz-map-hover", onLinked);
  const cleanup = () => {
    resize.disconnect();
    window.removeEventListener("bnviz-map-hover", onLinked);
    if (frame) cancelAnimationFrame(frame);
  };
  root._cleanup = cleanup;
  return cleanup;
}
