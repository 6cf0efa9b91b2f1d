/*
 * mpcap report page: draws the overview tables and, for each connection given a detail section,
 * its plots (uPlot) and tables, from the two JSON blocks of the page (analyze --json, and the
 * extra series of mpcap-plots). Plain ES2020, no modules: the page is one offline file.
 * window.mpcapReport tells a test (or a curious reader) what was drawn.
 */
(function () {
  'use strict';
  const state = (window.mpcapReport = { ready: false, plots: [], errors: [] });
  window.addEventListener('error', (e) => state.errors.push(String(e.message)));

  const A = JSON.parse(document.getElementById('mpcap-analysis').textContent);
  const P = JSON.parse(document.getElementById('mpcap-plots').textContent);
  const app = document.getElementById('app');

  // Okabe–Ito (colour-blind safe); black is kept for connection-level lines. Past 7 subflows the
  // colours repeat with a dash pattern, so that no two subflows look alike.
  const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#56B4E9', '#CC79A7', '#C9B200'];
  const DASHES = [[], [8, 4], [2, 3], [10, 3, 2, 3]];
  const CONN_COLOR = '#000000';
  const ACK_COLOR = '#666666';
  // Paul Tol's muted scheme (colour-blind safe), with a black outline, for the timeline's markers.
  const MARKER_COLORS = {
    SYN: '#ffffff', MP_JOIN: '#DDDDDD', FIN: '#999933', RST: '#000000', ADD_ADDR: '#88CCEE', REMOVE_ADDR: '#882255',
    MP_PRIO: '#DDCC77', MP_FAIL: '#CC6677', MP_FASTCLOSE: '#AA4499', MP_TCPRST: '#332288', DATA_FIN: '#44AA99',
  };
  const subColor = (i) => PALETTE[i % PALETTE.length];
  const subDash = (i) => DASHES[Math.floor(i / PALETTE.length) % DASHES.length];

  // ------------------------------------------------------------------ formatting
  const SI = ['', 'k', 'M', 'G', 'T', 'P'];
  function si(x, unit, digits) {
    if (x === null || x === undefined || Number.isNaN(x)) return '–';
    let i = 0;
    let v = Math.abs(x);
    while (v >= 1000 && i < SI.length - 1) { v /= 1000; i++; }
    const d = digits === undefined ? (v < 10 && i > 0 ? 2 : v < 100 && i > 0 ? 1 : 0) : digits;
    return (x < 0 ? '-' : '') + v.toFixed(d) + ' ' + SI[i] + unit;
  }
  const fmtBytes = (x) => si(x, 'B');
  const fmtBps = (x) => si(x, 'bit/s');
  function fmtSec(x) {
    if (x === null || x === undefined) return '–';
    const a = Math.abs(x);
    if (a === 0) return '0 s';
    if (a < 1e-3) return (x * 1e6).toFixed(0) + ' µs';
    if (a < 1) return (x * 1e3).toFixed(a < 0.01 ? 2 : 1) + ' ms';
    return x.toFixed(a < 10 ? 3 : 1) + ' s';
  }
  const fmtUs = (x) => (x === null || x === undefined ? '–' : fmtSec(x / 1e6));
  const pct = (x) => (x === null || x === undefined ? '–' : (x * 100).toFixed(1) + ' %');
  const ep = (e) => (e && e.address !== undefined ? (e.address.includes(':') ? '[' + e.address + ']' : e.address) + ':' + e.port : '?');

  // ------------------------------------------------------------------ DOM helpers
  function el(tag, attrs, children) {
    const n = document.createElement(tag);
    if (attrs) for (const k of Object.keys(attrs)) {
      if (k === 'text') n.textContent = attrs[k];
      else if (k === 'class') n.className = attrs[k];
      else if (k.startsWith('on')) n.addEventListener(k.slice(2), attrs[k]);
      else n.setAttribute(k, attrs[k]);
    }
    if (children) for (const c of children) if (c !== null && c !== undefined) n.append(c);
    return n;
  }

  /** A table; cells are [text, sortValue] or text. Sortable tables sort on a header click. */
  function table(headers, rows, opts) {
    const o = opts || {};
    const thead = el('thead', null, [el('tr', null, headers.map((h, i) => el('th', { text: h, title: o.sortable ? 'sort' : '', 'data-col': String(i) })))]);
    const tbody = el('tbody');
    const rowEls = rows.map((r) => el('tr', r.id ? { id: r.id } : null, (r.cells || r).map((c) => {
      const [text, v] = Array.isArray(c) ? c : [c, c];
      const td = el('td', { 'data-v': typeof v === 'number' ? String(v) : String(v === null || v === undefined ? '' : v) });
      if (text instanceof Node) td.append(text);
      else td.textContent = text === null || text === undefined ? '–' : String(text);
      if (typeof v === 'number') td.className = 'num';
      return td;
    })));
    for (const r of rowEls) tbody.append(r);
    const t = el('table', { class: 'data' + (o.sortable ? ' sortable' : '') }, [thead, tbody]);
    if (o.sortable) {
      let last = -1;
      let dir = 1;
      thead.addEventListener('click', (e) => {
        const th = e.target.closest('th');
        if (!th) return;
        const col = Number(th.dataset.col);
        dir = col === last ? -dir : 1;
        last = col;
        const trs = Array.from(tbody.rows);
        const num = trs.every((tr) => tr.cells[col].dataset.v === '' || !Number.isNaN(Number(tr.cells[col].dataset.v)));
        trs.sort((a, b) => {
          const x = a.cells[col].dataset.v;
          const y = b.cells[col].dataset.v;
          return dir * (num ? Number(x || -Infinity) - Number(y || -Infinity) : x < y ? -1 : x > y ? 1 : 0);
        });
        for (const tr of trs) tbody.append(tr);
        for (const h of thead.querySelectorAll('th')) h.removeAttribute('aria-sort');
        th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
      });
    }
    if (o.limit && rows.length > o.limit) {
      for (const r of rowEls.slice(o.limit)) r.hidden = true;
      const more = el('button', { class: 'more', text: `show all ${rows.length} rows`, onclick: () => { for (const r of rowEls) r.hidden = false; more.remove(); } });
      return el('div', null, [t, more]);
    }
    return t;
  }

  // ------------------------------------------------------------------ tooltip
  const tip = el('div', { id: 'mpcap-tooltip', role: 'tooltip' });
  document.body.append(tip);
  function showTip(html, x, y) {
    tip.innerHTML = html;
    tip.style.display = 'block';
    const w = tip.offsetWidth;
    tip.style.left = Math.min(x + 14, window.innerWidth - w - 8) + 'px';
    tip.style.top = y + 14 + 'px';
  }
  const hideTip = () => { tip.style.display = 'none'; };
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

  // ------------------------------------------------------------------ data helpers
  /** [[t, v], ...] → sorted columns (merged captures are not always in time order). */
  function cols(points) {
    const t = points.map((p) => p[0]);
    const v = points.map((p) => p[1]);
    return sortCols(t, v);
  }
  function sortCols(t, v) {
    let sorted = true;
    for (let i = 1; i < t.length; i++) if (t[i] < t[i - 1]) { sorted = false; break; }
    if (sorted) return [t, v];
    const idx = t.map((_, i) => i).sort((a, b) => t[a] - t[b]);
    return [idx.map((i) => t[i]), idx.map((i) => v[i])];
  }
  /** Cut down to at most max points (min and max of each bucket), as the page's server side does. */
  function thin(c, max) {
    const [t, v] = c;
    const n = t.length;
    if (n <= max) return { c, total: n, cut: false };
    const buckets = Math.floor(max / 2);
    const ot = [];
    const ov = [];
    for (let b = 0; b < buckets; b++) {
      const from = Math.floor((b * n) / buckets);
      const to = Math.floor(((b + 1) * n) / buckets);
      let lo = from;
      let hi = from;
      for (let i = from + 1; i < to; i++) {
        if (v[i] < v[lo]) lo = i;
        if (v[i] > v[hi]) hi = i;
      }
      const a = Math.min(lo, hi);
      const z = Math.max(lo, hi);
      ot.push(t[a]); ov.push(v[a]);
      if (z !== a) { ot.push(t[z]); ov.push(v[z]); }
    }
    return { c: [ot, ov], total: n, cut: true };
  }
  /** Rate over a sliding window from a cumulative byte series (bit/s). */
  function rate(c, win) {
    const [t, v] = c;
    const out = new Array(t.length);
    let j = 0;
    for (let i = 0; i < t.length; i++) {
      while (j < i && t[j] <= t[i] - win) j++;
      // value at t - win: the last point at or before it (0 before the first)
      const base = j > 0 ? v[j - 1] : t[0] <= t[i] - win ? v[0] : 0;
      out[i] = ((v[i] - base) * 8) / win;
    }
    return [t.slice(), out];
  }
  const median = (xs) => {
    if (xs.length === 0) return null;
    const s = xs.slice().sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };

  // ------------------------------------------------------------------ charts
  const charts = [];
  const byId = new Map();
  /** The uPlot instance of a plot (for tests and the console). */
  state.chart = (id) => byId.get(id);
  const MAXP = P.maxPoints || 1000;
  const MAX_SUBFLOWS = 200;

  function savePng(u, name) {
    const src = u.ctx.canvas;
    const c = document.createElement('canvas');
    c.width = src.width;
    c.height = src.height;
    const g = c.getContext('2d');
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, c.width, c.height);
    g.drawImage(src, 0, 0);
    const a = el('a', { href: c.toDataURL('image/png'), download: name + '.png' });
    document.body.append(a);
    a.click();
    a.remove();
  }

  /**
   * One plot. `tables`: per series [xs, ys] (joined on x); `series`: uPlot series options plus
   * `role` (what the test counts) and `detail(i)` (tooltip text of the series' i-th own point).
   */
  function plot(parent, spec) {
    const fig = el('figure', { class: 'plot', id: spec.id, 'data-kind': spec.kind });
    const cap = el('figcaption', null, [
      el('span', { class: 'title', text: spec.title }),
      spec.note ? el('span', { class: 'note', text: spec.note }) : null,
      el('button', { class: 'png', text: 'save PNG', title: 'save this plot as a PNG image' }),
    ]);
    const target = el('div', { class: 'target' });
    fig.append(cap, target);
    if (spec.help) fig.append(el('p', { class: 'help', text: spec.help }));
    parent.append(fig);
    // own points of each series, for the tooltip: x values → its index in the series
    const own = spec.tables.map((t) => { const m = new Map(); t[0].forEach((x, i) => m.set(x, i)); return m; });
    // nullMode 2 (a series with explicit gaps): its gaps swallow the alignment holes next to them
    const data = spec.tables.length === 0 ? [[]] : uPlot.join(spec.tables, spec.series.map((s) => [0, s.nullMode || 1]));
    const width = Math.max(480, Math.min(target.clientWidth || 900, 1400));
    const series = [{ label: spec.xLabel || 'time', value: (u, v) => (v === null || v === undefined ? '–' : spec.xFmt ? spec.xFmt(v) : fmtSec(v)) }].concat(spec.series.map((s) => {
      const o = Object.assign({}, s);
      delete o.role; delete o.detail; delete o.nullMode;
      if (!o.value) o.value = (u, v) => (v === null || v === undefined ? '–' : spec.yFmt(v));
      return o;
    }));
    const opts = {
      width,
      height: spec.height || 300,
      series,
      scales: Object.assign({ x: { time: false } }, spec.scales || {}),
      axes: [
        { label: spec.xLabel !== undefined ? spec.xLabel : 'time since the first packet (s)', space: 70, values: spec.xValues || ((u, vals) => vals.map((v) => (v === null ? '' : +v.toPrecision(6)))) },
        { label: spec.yLabel, size: 80, values: spec.yValues || ((u, vals) => vals.map((v) => (v === null ? '' : spec.yAxisFmt ? spec.yAxisFmt(v) : spec.yFmt(v)))), splits: spec.ySplits },
      ],
      legend: { live: false },
      cursor: { drag: { x: true, y: false }, points: { show: false } },
      hooks: {
        setCursor: [(u) => onCursor(u, spec, own)],
      },
    };
    const u = new uPlot(opts, data, target);
    u.root.addEventListener('mouseleave', hideTip);
    addPan(u);
    cap.querySelector('.png').addEventListener('click', () => savePng(u, spec.id));
    charts.push(u);
    byId.set(spec.id, u);
    state.plots.push({ id: spec.id, kind: spec.kind, connection: spec.connection, series: u.series.length - 1, roles: spec.series.map((s) => s.role || 'series'), points: spec.tables.reduce((a, t) => a + t[0].length, 0), cut: !!spec.note });
    return u;
  }

  /** Shift + drag pans along x (a plain drag zooms: uPlot's own; the capture phase keeps it out). */
  function addPan(u) {
    let from = null;
    u.root.addEventListener('mousedown', (e) => {
      if (!e.shiftKey || e.button !== 0) return;
      e.stopPropagation();
      e.preventDefault();
      from = { x: e.clientX, min: u.scales.x.min, max: u.scales.x.max };
    }, true);
    window.addEventListener('mousemove', (e) => {
      if (from === null) return;
      const perPx = (from.max - from.min) / u.over.clientWidth;
      const dv = (e.clientX - from.x) * perPx;
      u.setScale('x', { min: from.min - dv, max: from.max - dv });
    });
    window.addEventListener('mouseup', () => { from = null; });
  }

  /** The point nearest the cursor (within 16 px) among the visible series, in the tooltip. */
  function onCursor(u, spec, own) {
    const { left, top, idx } = u.cursor;
    if (left === undefined || left < 0 || idx === null || idx === undefined) { hideTip(); return; }
    const xs = u.data[0];
    let best = null;
    const R = 300;
    for (let s = 1; s < u.series.length; s++) {
      if (!u.series[s].show) continue;
      const ys = u.data[s];
      const scale = u.series[s].scale || 'y';
      for (let i = Math.max(0, idx - R); i <= Math.min(xs.length - 1, idx + R); i++) {
        const y = ys[i];
        if (y === null || y === undefined) continue;
        const dx = u.valToPos(xs[i], 'x') - left;
        const dy = u.valToPos(y, scale) - top;
        const d = dx * dx + dy * dy;
        // on a tie the later series wins: it is drawn on top (markers over lanes)
        if (d <= 256 && (best === null || d <= best.d)) best = { d, s, i };
      }
    }
    if (best === null) { hideTip(); return; }
    const sp = spec.series[best.s - 1];
    const x = xs[best.i];
    const y = u.data[best.s][best.i];
    const ownIdx = own[best.s - 1].get(x);
    const detail = sp.detail && ownIdx !== undefined ? sp.detail(ownIdx) : null;
    const rect = u.over.getBoundingClientRect();
    showTip(
      `<b style="color:${esc(typeof sp.stroke === 'string' ? sp.stroke : '#000')}">■</b> <b>${esc(sp.label)}</b><br>` +
        `${esc(spec.xName || 'time')}: ${esc(spec.xFmt ? spec.xFmt(x) : fmtSec(x))}<br>${esc(spec.yName || 'value')}: ${esc(spec.yFmt(y))}` +
        (detail ? `<br>${esc(detail)}` : ''),
      rect.left + left,
      rect.top + top,
    );
  }

  function lineSeries(label, i, extra) {
    return Object.assign({ label, stroke: subColor(i), dash: subDash(i), width: 1.5, points: { show: false } }, extra || {});
  }
  const pointsOnly = (label, color, size, extra) =>
    Object.assign({ label, stroke: color, fill: color, width: 0, paths: () => null, points: { show: true, size, stroke: color, fill: color, width: 1 } }, extra || {});

  function barsSpec(parent, id, kind, conn, title, labels, groups, yFmt, yLabel, help, xLabel) {
    // grouped bars: series k is drawn at x = i + offset(k), so that groups stand side by side
    const k = groups.length;
    const w = 0.8 / k;
    const tables = groups.map((g, j) => [labels.map((_, i) => i - 0.4 + w * (j + 0.5)), g.values]);
    const bars = uPlot.paths.bars({ size: [w * 0.9, Infinity], align: 0 });
    return plot(parent, {
      id, kind, connection: conn, title, help,
      tables,
      xLabel: xLabel || '', xName: xLabel || 'item', xFmt: (x) => labels[Math.round(x)] || '', yFmt, yLabel, yName: yLabel,
      scales: { x: { time: false, range: [-0.6, labels.length - 0.4] }, y: { range: (u, lo, hi) => [0, hi > 0 ? hi * 1.1 : 1] } },
      xValues: (u, vals) => vals.map((v) => (Math.abs(v - Math.round(v)) < 1e-9 ? labels[Math.round(v)] || '' : '')),
      series: groups.map((g, j) => ({ label: g.label, role: g.role || 'bars', stroke: g.color, fill: g.color + 'cc', width: 1, paths: bars, points: { show: false }, detail: (i) => `${labels[i]}: ${yFmt(g.values[i])}` })),
      height: 240,
    });
  }

  // ------------------------------------------------------------------ overview
  function overview() {
    const c = A.capture;
    const head = el('header', null, [
      el('h1', { text: 'mpcap report' }),
      el('p', { class: 'sub', text: `${c.file} · ${A.generator}` }),
      el('p', { class: 'actions' }, [
        el('button', { text: 'download the analysis (analyze --json)', onclick: downloadJson }),
        el('span', { class: 'hint', text: ' Plots: drag to zoom, Shift + drag to pan, double-click to reset, click a legend entry to hide or show a series, hover a point for its details.' }),
      ]),
    ]);
    app.append(head);
    const s = A.summary;
    const sec = el('section', { id: 'overview' }, [el('h2', { text: 'Capture' })]);
    sec.append(table(['format', 'packets', 'bytes', 'start', 'duration', 'connections', 'subflows', 'TCP streams', 'problems'], [[
      c.format + (c.compressed ? ' (gzip)' : ''), [c.packets.toLocaleString('en'), c.packets], [fmtBytes(c.bytes), c.bytes], c.start ? c.start.iso : '–',
      [fmtSec(c.durationSec), c.durationSec], [String(s.connections), s.connections], [String(s.subflows), s.subflows], [String(s.tcpStreams), s.tcpStreams], [String(c.problems.length), c.problems.length],
    ]]));
    if (c.problems.length > 0) sec.append(el('ul', { class: 'problems' }, c.problems.slice(0, 50).map((p) => el('li', { text: `${p.fatal ? 'error' : 'warning'}: ${p.message}` }))));
    if (s.attempts && (s.attempts.connections > 0 || s.attempts.unansweredCapable > 0)) {
      sec.append(el('p', { text: `Unanswered attempts: ${s.attempts.connections} connections, ${s.attempts.unansweredCapable} MP_CAPABLE SYNs, from ${s.attempts.sources} sources${s.attempts.listed ? '' : ' (not listed one by one)'}.` }));
    }
    const detailed = new Set(P.details.map((d) => d.index));
    sec.append(el('h2', { text: 'Connections' }));
    sec.append(el('p', { class: 'hint', text: `Click a column to sort. Detail sections: ${P.selection}.` }));
    sec.append(table(['#', 'version', 'client', 'server', 'subflows', 'bytes c→s', 'bytes s→c', 'duration', 'ended by', 'problems'], A.connections.map((k) => {
      const link = detailed.has(k.index) ? el('a', { href: `#conn-${k.index}`, text: String(k.index) }) : String(k.index);
      const dur = k.lastTime - k.startTime;
      return { id: `row-${k.index}`, cells: [
        [link, k.index], [k.version === null ? '–' : 'v' + k.version, k.version === null ? -1 : k.version], ep(k.client), ep(k.server), [String(k.subflowCount), k.subflowCount],
        [fmtBytes(k.data.c2s.deliveredBytes), k.data.c2s.deliveredBytes], [fmtBytes(k.data.s2c.deliveredBytes), k.data.s2c.deliveredBytes],
        [fmtSec(dur), dur], k.end.how, [k.problems.length ? `${k.problems.length}: ${k.problems.slice(0, 2).map((p) => p.kind).join(', ')}` : '', k.problems.length],
      ] };
    }), { sortable: true, limit: 200 }));
    sec.append(el('h2', { text: 'Endpoints' }));
    sec.append(table(['address', 'packets', 'share', 'bytes', 'tx packets', 'rx packets', 'tx bytes', 'rx bytes'], A.endpoints.map((e) => [
      e.address, [String(e.packets), e.packets], [pct(e.share), e.share], [fmtBytes(e.bytes), e.bytes], [String(e.txPackets), e.txPackets], [String(e.rxPackets), e.rxPackets], [fmtBytes(e.txBytes), e.txBytes], [fmtBytes(e.rxBytes), e.rxBytes],
    ]), { sortable: true, limit: 100 }));
    app.append(sec);
  }

  function downloadJson() {
    const text = document.getElementById('mpcap-analysis').textContent;
    const a = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'application/json' })), download: (A.capture.file.split('/').pop() || 'report') + '.json' });
    document.body.append(a);
    a.click();
    a.remove();
  }

  // ------------------------------------------------------------------ one connection
  function connection(d) {
    const k = A.connections.find((c) => c.index === d.index);
    if (!k) return;
    // a join flood has thousands of subflows: the plots draw the first MAX_SUBFLOWS (the tables list all)
    const allSubs = k.subflows;
    const subs = allSubs.slice(0, MAX_SUBFLOWS);
    const EMPTY = { t: [], v: [], total: 0 };
    const emptyDir = { dsn: EMPTY, retransmitted: EMPTY, reinjected: EMPTY, placedBytes: 0, firstBytes: 0 };
    const own = new Map(d.subflows.map((s) => [s.tcpStream, s]));
    const laneOf = new Map(allSubs.map((s, i) => [s.tcpStream, i]));
    const dsubs = subs.map((s) => own.get(s.tcpStream) || { tcpStream: s.tcpStream, c2s: emptyDir, s2c: emptyDir, rttTsUs: EMPTY });
    const name = (i) => (i === undefined || !k.subflows[i] ? '?' : `sf ${i} (tcp.stream ${k.subflows[i].tcpStream})`);
    
    const sec = el('section', { class: 'connection', id: `conn-${k.index}` });
    sec.append(el('h2', { text: `Connection ${k.index}: ${ep(k.client)} → ${ep(k.server)}` }));
    sec.append(el('p', { class: 'sub', text: `MPTCP ${k.version === null ? '?' : 'v' + k.version} · ${subs.length} subflow${subs.length === 1 ? '' : 's'} · ${fmtSec(k.lastTime - k.startTime)} · ${k.end.detail}` }));
    app.append(sec);
    const few = allSubs.length > subs.length ? `the first ${subs.length} of ${allSubs.length} subflows drawn` : '';
    const note = (cut, total) => [cut ? `downsampled: at most ${MAXP} of ${total.toLocaleString('en')} points per series` : '', few].filter(Boolean).join('; ');
    const cid = `c${k.index}`;

    // 1. timeline
    {
      const tables = [];
      const series = [];
      subs.forEach((s, i) => {
        const end = s.end.time !== null ? s.end.time : s.lastTime;
        tables.push([[s.startTime, Math.max(end, s.startTime)], [i, i]]);
        series.push(lineSeries(name(i), i, { role: 'lane', width: subs.length > 30 ? 2 : 8, points: { show: false }, detail: () => `${s.kind} subflow ${ep(s.client)} → ${ep(s.server)}, first frame ${s.firstFrame}, ${s.backup ? 'backup, ' : ''}ended: ${s.end.how}${s.end.frame ? ' (frame ' + s.end.frame + ')' : ''}` }));
      });
      const byKind = new Map();
      for (const m of d.markers) {
        if (!laneOf.has(m[2]) || laneOf.get(m[2]) >= subs.length) continue;
        if (!byKind.has(m[3])) byKind.set(m[3], []);
        byKind.get(m[3]).push(m);
      }
      for (const [kind, ms] of byKind) {
        // several markers of one kind at the same time: nudge them apart so that each stays hoverable
        const ts = [];
        for (const m of ms) { let t = m[0]; while (ts.length && t <= ts[ts.length - 1]) t = ts[ts.length - 1] + 1e-9; ts.push(t); }
        const c = sortCols(ts, ms.map((m) => laneOf.get(m[2])));
        const sortedMs = ms.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        tables.push(c);
        series.push(pointsOnly(kind, MARKER_COLORS[kind] || '#888888', 11, { role: 'marker', points: { show: true, size: 11, stroke: '#000000', fill: MARKER_COLORS[kind] || '#888888', width: 1 }, detail: (i) => `frame ${sortedMs[i][1]}: ${sortedMs[i][4]}` }));
      }
      plot(sec, {
        id: `${cid}-timeline`, kind: 'timeline', connection: k.index, title: 'Subflow timeline',
        note: [d.markersDropped ? `${d.markersDropped} more markers not drawn` : '', few].filter(Boolean).join('; '),
        help: 'One lane per subflow, from its first packet to its end; markers for handshakes, ADD_ADDR / REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE, MP_TCPRST, FIN, RST and DATA_FIN. Hover a marker for its frame.',
        tables, series, yLabel: 'subflow', yName: 'lane', yFmt: (v) => name(Math.round(v)) || '',
        yValues: (u, vals) => vals.map((v) => (Number.isInteger(v) && subs[v] ? `sf ${v}` : '')),
        ySplits: () => subs.map((_, i) => i),
        scales: { y: { range: [-0.6, subs.length - 0.4] } },
        height: Math.min(1200, Math.max(140, 60 + 36 * subs.length)),
      });
    }

    // 2. cumulative bytes
    {
      const tables = [];
      const series = [];
      let cut = false;
      let total = 0;
      subs.forEach((s, i) => {
        const r = thin(cols(s.series.cumulativeBytes), MAXP);
        cut = cut || r.cut; total = Math.max(total, r.total);
        tables.push(r.c);
        series.push(lineSeries(name(i) + ' (TCP payload, both ways)', i, { role: 'subflow' }));
      });
      for (const dir of ['c2s', 's2c']) {
        const r = thin(cols(k.series.cumulativeBytes[dir]), MAXP);
        cut = cut || r.cut; total = Math.max(total, r.total);
        tables.push(r.c);
        series.push({ label: `connection ${dir === 'c2s' ? 'client → server' : 'server → client'} (data level, in order)`, role: 'connection', stroke: CONN_COLOR, dash: dir === 'c2s' ? [] : [6, 3], width: 2, points: { show: false } });
      }
      plot(sec, { id: `${cid}-cumulative`, kind: 'cumulative', connection: k.index, title: 'Cumulative bytes', note: note(cut, total),
        help: 'Bytes carried so far: each subflow\'s TCP payload (retransmissions included), and the connection\'s data delivered in order at the data level in each direction. A flat subflow line is an idle or broken path.',
        tables, series, yLabel: 'bytes', yName: 'bytes', yFmt: fmtBytes, yAxisFmt: fmtBytes });
    }

    // 3. data sequence graph, per direction that carried data
    for (const dir of ['c2s', 's2c']) {
      if (!dsubs.some((s) => s[dir].dsn.t.length > 0)) continue;
      const tables = [];
      const series = [];
      let cut = false;
      let total = 0;
      dsubs.forEach((s, i) => {
        cut = cut || s[dir].dsn.total > s[dir].dsn.t.length; total = Math.max(total, s[dir].dsn.total);
        tables.push(sortCols(s[dir].dsn.t, s[dir].dsn.v));
        series.push(pointsOnly(name(i), subColor(i), 3, { role: 'subflow' }));
      });
      const ack = d.dataAck[dir];
      tables.push(sortCols(ack.t, ack.v));
      series.push({ label: 'DATA_ACK', role: 'ack', stroke: ACK_COLOR, width: 1.5, points: { show: false }, paths: uPlot.paths.stepped({ align: 1 }) });
      const retx = { t: [], v: [], who: [] };
      const reinj = { t: [], v: [], who: [] };
      dsubs.forEach((s, i) => {
        s[dir].retransmitted.t.forEach((t, j) => { retx.t.push(t); retx.v.push(s[dir].retransmitted.v[j]); retx.who.push(i); });
        s[dir].reinjected.t.forEach((t, j) => { reinj.t.push(t); reinj.v.push(s[dir].reinjected.v[j]); reinj.who.push(i); });
      });
      const sortWho = (m) => { const idx = m.t.map((_, i) => i).sort((a, b) => m.t[a] - m.t[b]); return { t: idx.map((i) => m.t[i]), v: idx.map((i) => m.v[i]), who: idx.map((i) => m.who[i]) }; };
      const rx = sortWho(retx);
      const rj = sortWho(reinj);
      tables.push([rx.t, rx.v]);
      series.push(pointsOnly('retransmitted (same subflow)', '#CC6677', 8, { role: 'retransmission', points: { show: true, size: 8, stroke: '#CC6677', fill: '#ffffff', width: 2 }, detail: (i) => `retransmitted on ${name(rx.who[i])}` }));
      tables.push([rj.t, rj.v]);
      series.push(pointsOnly('reinjected (other subflow)', '#332288', 8, { role: 'reinjection', points: { show: true, size: 8, stroke: '#332288', fill: '#ffffff', width: 2 }, detail: (i) => `reinjected on ${name(rj.who[i])}` }));
      // head-of-line stalls: a segment from start to end at the in-order point, gaps between
      const stalls = k.headOfLineBlame[dir].longest;
      const st = [];
      const sv = [];
      const sinfo = [];
      for (const s of stalls) {
        // nudged so that one stall ending where the next begins stays two segments
        st.push(s.startTime + 2e-7, s.endTime, s.endTime + 1e-7); sv.push(s.dsn, s.dsn, null);
        const who = s.subflow === null ? 'no subflow' : name(laneOf.get(s.subflow));
        const txt = `stall of ${fmtSec(s.durationSec)} (${s.cause}), blamed on ${who}; ${fmtBytes(s.waitingBytes)} waited; frames ${s.frame}–${s.endFrame === null ? 'end' : s.endFrame}`;
        sinfo.push(txt, txt, txt);
      }
      const sc = sortCols(st, sv);
      tables.push(sc);
      series.push({ label: 'head-of-line stalls (longest)', role: 'stall', nullMode: 2, stroke: 'rgba(170,68,153,0.75)', width: 4, points: { show: true, size: 5, fill: '#AA4499' }, detail: (i) => sinfo[i] || '' });
      plot(sec, { id: `${cid}-dsn-${dir}`, kind: 'dsn', connection: k.index, title: `Data sequence graph, ${dir === 'c2s' ? 'client → server' : 'server → client'}`, note: note(cut, total),
        help: 'Each dot is a segment at its relative data sequence number (DSN) when it was seen, coloured by subflow; the grey step line is the highest DATA_ACK. Open circles mark data sent again: on the same subflow (retransmission) or on another (reinjection). Purple bars are the longest head-of-line stalls: the in-order point stood at that DSN while later data waited.',
        tables, series, yLabel: 'relative DSN (bytes)', yName: 'DSN', yFmt: (v) => Math.round(v).toLocaleString('en'), yAxisFmt: fmtBytes });
    }

    // 4. throughput and goodput
    {
      const win = P.throughputWindowSec;
      const tables = [];
      const series = [];
      subs.forEach((s, i) => {
        tables.push(thin(rate(cols(s.series.cumulativeBytes), win), MAXP).c);
        series.push(lineSeries(name(i) + ' throughput', i, { role: 'subflow' }));
      });
      for (const dir of ['c2s', 's2c']) {
        tables.push(thin(rate(cols(k.series.cumulativeBytes[dir]), win), MAXP).c);
        series.push({ label: `goodput ${dir === 'c2s' ? 'client → server' : 'server → client'}`, role: 'goodput', stroke: CONN_COLOR, dash: dir === 'c2s' ? [] : [6, 3], width: 2, points: { show: false } });
      }
      plot(sec, { id: `${cid}-throughput`, kind: 'throughput', connection: k.index, title: `Throughput per subflow and goodput (sliding window ${fmtSec(win)})`,
        help: `Bits per second over the last ${fmtSec(win)}: each subflow's TCP payload (both directions, retransmissions included) and the connection's in-order data-level delivery (goodput).`,
        tables, series, yLabel: 'bit/s', yName: 'rate', yFmt: fmtBps, yAxisFmt: fmtBps });
      const placed = dsubs.map((s) => s.c2s.placedBytes + s.s2c.placedBytes);
      const first = dsubs.map((s) => s.c2s.firstBytes + s.s2c.firstBytes);
      const sum = (xs) => xs.reduce((a, b) => a + b, 0);
      const ps = sum(placed) || 1;
      const fs = sum(first) || 1;
      barsSpec(sec, `${cid}-first`, 'first-share', k.index, 'Share of the data carried, and of the goodput carried first', subs.map((_, i) => `sf ${i}`), [
        { label: 'share of data-level bytes carried (duplicates included)', color: '#0072B2', values: placed.map((x) => x / ps) },
        { label: 'share of goodput carried first (bytes no other subflow delivered earlier)', color: '#E69F00', values: first.map((x) => x / fs) },
      ], pct, 'share', 'Per subflow: the share of the bytes it carried at the data level, and the share of the goodput it carried first. A subflow whose first share is well below its raw share spent its capacity on duplicates.', 'subflow');
    }

    // 5. RTT
    {
      const tables = [];
      const series = [];
      let cut = false;
      let total = 0;
      subs.forEach((s, i) => {
        const r = thin(cols(s.series.rttUs), MAXP);
        cut = cut || r.cut; total = Math.max(total, r.total);
        tables.push(r.c);
        series.push(lineSeries(`${name(i)} ACK (median ${fmtUs(s.rtt.medianUs)})`, i, { role: 'rtt-ack', width: 0, paths: () => null, points: { show: true, size: 4, fill: subColor(i) } }));
        const ts = dsubs[i].rttTsUs;
        cut = cut || ts.total > ts.t.length; total = Math.max(total, ts.total);
        tables.push(sortCols(ts.t, ts.v));
        series.push(lineSeries(`${name(i)} timestamps (median ${fmtUs(s.rtt.timestamps.medianUs)})`, i, { role: 'rtt-ts', width: 1, dash: [4, 3], points: { show: false } }));
      });
      plot(sec, { id: `${cid}-rtt`, kind: 'rtt', connection: k.index, title: 'Round-trip time per subflow', note: note(cut, total),
        help: 'Dots: RTT from ACKs (the time from a data segment to the ACK that covers exactly its end, as Wireshark\'s ack_rtt, Karn\'s rule applied). Dashed lines: RTT from TCP timestamps (TSval to its first echo). Medians are in the legend.',
        tables, series, yLabel: 'RTT (µs)', yName: 'RTT', yFmt: fmtUs, yAxisFmt: fmtUs, scales: { y: { range: (u, lo, hi) => [0, hi > 0 ? hi * 1.05 : 1] } } });
    }

    // 6. packet and byte share, per subflow and per address
    {
      barsSpec(sec, `${cid}-share-subflow`, 'share-subflow', k.index, 'Packet and byte share per subflow', subs.map((_, i) => `sf ${i}`), [
        { label: 'packet share', color: '#0072B2', values: subs.map((s) => s.packetShare) },
        { label: 'byte share (TCP payload)', color: '#E69F00', values: subs.map((s) => s.byteShare) },
      ], pct, 'share', 'The share of the connection\'s packets and TCP payload bytes each subflow carried (both directions).', 'subflow');
      const byAddr = new Map();
      let tp = 0;
      let tb = 0;
      for (const s of subs) {
        const a = s.clientIsConnectionClient === false ? s.server.address : s.client.address;
        const cur = byAddr.get(a) || { p: 0, b: 0 };
        cur.p += s.packets; cur.b += s.payloadBytes; tp += s.packets; tb += s.payloadBytes;
        byAddr.set(a, cur);
      }
      const addrs = [...byAddr.keys()];
      barsSpec(sec, `${cid}-share-address`, 'share-address', k.index, 'Packet and byte share per client address', addrs, [
        { label: 'packet share', color: '#0072B2', values: addrs.map((a) => byAddr.get(a).p / (tp || 1)) },
        { label: 'byte share (TCP payload)', color: '#E69F00', values: addrs.map((a) => byAddr.get(a).b / (tb || 1)) },
      ], pct, 'share', 'The same shares summed per address of the connection\'s client (one bar group per interface it used).', 'client address');
    }

    // 7. head-of-line delay histogram and reinjection matrix
    {
      const h = k.data.c2s.headOfLine.histogram;
      const labels = h.map((b, i) => (b.upToSec === null ? `> ${fmtSec(h[i - 1] ? h[i - 1].upToSec : 0)}` : `≤ ${fmtSec(b.upToSec)}`));
      barsSpec(sec, `${cid}-hol`, 'hol-histogram', k.index, 'Head-of-line delay: bytes by how long they waited', labels, [
        { label: 'client → server', color: '#0072B2', values: k.data.c2s.headOfLine.histogram.map((b) => b.bytes) },
        { label: 'server → client', color: '#E69F00', values: k.data.s2c.headOfLine.histogram.map((b) => b.bytes) },
      ], fmtBytes, 'bytes', 'Bytes by the time they waited at the data level for earlier data (the first bar: in order, no wait).', 'head-of-line delay');
      const m = el('div', { class: 'matrix' }, [el('h3', { text: 'Reinjections (from subflow → to subflow)' })]);
      for (const dir of ['c2s', 's2c']) {
        const rs = k.data[dir].reinjections;
        if (rs.length === 0) continue;
        const ids = subs.map((s) => s.tcpStream);
        const cell = (f, t) => rs.find((r) => r.fromSubflow === f && r.toSubflow === t);
        const max = Math.max(1, ...rs.map((r) => r.bytes));
        const rows = ids.map((f, i) => [`from ${name(i)}`].concat(ids.map((t) => {
          const r = cell(f, t);
          if (!r) return ['', 0];
          const span = el('span', { class: 'heat', style: `background: rgba(0,114,178,${(0.15 + 0.85 * r.bytes / max).toFixed(2)})`, text: `${fmtBytes(r.bytes)} · ${r.count}× · max ${fmtSec(r.maxDelaySec)}` });
          return [span, r.bytes];
        })));
        m.append(el('p', { class: 'sub', text: dir === 'c2s' ? 'client → server' : 'server → client' }), table([''].concat(ids.map((_, i) => `to sf ${i}`)), rows));
      }
      if (m.childNodes.length === 1) m.append(el('p', { class: 'hint', text: 'No reinjections.' }));
      sec.append(m);
    }

    // 8. head-of-line blame
    {
      const b = el('div', { class: 'blame' }, [el('h3', { text: 'Head-of-line blame' }), el('p', { class: 'help', text: 'Each stall of the data-level in-order point is blamed on the subflow whose data was late or lost (for a reinjection: the subflow it was first sent on); "waiting" is the data that reached the in-order point when the stall ended. The longest stalls are drawn on the data sequence graph.' })]);
      for (const dir of ['c2s', 's2c']) {
        const x = k.headOfLineBlame[dir];
        if (x.stalls === 0) continue;
        b.append(el('p', { class: 'sub', text: `${dir === 'c2s' ? 'client → server' : 'server → client'}: ${x.stalls} stalls, ${fmtSec(x.totalStallSec)} in all (longest ${fmtSec(x.maxStallSec)}), ${fmtBytes(x.waitingBytes)} waited · causes: ${Object.entries(x.byCause).filter((e) => e[1] > 0).map((e) => `${e[0]} ${e[1]}`).join(', ')}` }));
        b.append(table(['blamed subflow', 'stalls', 'stall time', 'share of stall time', 'bytes waiting'], x.bySubflow.map((r) => [
          r.subflow === null ? 'none (capture gap, cap skip or unfilled)' : name(laneOf.get(r.subflow)), [String(r.stalls), r.stalls], [fmtSec(r.stallSec), r.stallSec], [pct(r.stallSec / (x.totalStallSec || 1)), r.stallSec], [fmtBytes(r.waitingBytes), r.waitingBytes],
        ]), { sortable: true }));
      }
      if (b.childNodes.length === 2) b.append(el('p', { class: 'hint', text: 'No stalls: the data arrived in order.' }));
      sec.append(b);
    }

    // 9. the analyze tables
    {
      sec.append(el('h3', { text: 'Subflows' }));
      sec.append(table(['', 'tcp.stream', 'kind', 'client', 'server', 'backup', 'HMAC', 'packets', 'bytes', 'retransmitted', 'RTT median', 'throughput', 'joined after', 'ended'], allSubs.map((s, i) => [
        [el('span', { class: 'swatch', style: `background:${subColor(i)}`, text: `sf ${i}` }), i], [String(s.tcpStream), s.tcpStream], s.kind, ep(s.client), ep(s.server), s.backup ? 'yes' : 'no',
        s.hmacValid === null ? '–' : s.hmacValid ? 'valid' : 'INVALID', [String(s.packets), s.packets], [fmtBytes(s.payloadBytes), s.payloadBytes], [fmtBytes(s.retransmittedBytes), s.retransmittedBytes],
        [fmtUs(s.rtt.medianUs), s.rtt.medianUs === null ? -1 : s.rtt.medianUs], [fmtBps(s.throughputBps), s.throughputBps === null ? -1 : s.throughputBps], [fmtSec(s.joinLatencySec), s.joinLatencySec === null ? -1 : s.joinLatencySec], s.end.how,
      ]), { sortable: true, limit: 200 }));
      if (k.addresses.length > 0) {
        sec.append(el('h3', { text: 'Addresses' }));
        sec.append(table(['id', 'address', 'port', 'announced by', 'frame', 'time', 'HMAC', 'echoed', 'removed', 'used'], k.addresses.map((a) => [
          [String(a.addrId), a.addrId], a.address, a.port === null ? '–' : String(a.port), a.announcedBy || '–', [String(a.frame), a.frame], [fmtSec(a.time), a.time], a.hmacValid === null ? '–' : a.hmacValid ? 'valid' : 'INVALID', a.echoed ? 'yes' : 'no', a.removedFrame === null ? '–' : `frame ${a.removedFrame}`, a.used ? 'yes' : 'no',
        ])));
      }
      sec.append(el('h3', { text: 'Data level' }));
      const dl = (f) => ['c2s', 's2c'].map((dir) => f(k.data[dir]));
      const rows = [
        ['delivered in order', ...dl((x) => [fmtBytes(x.deliveredBytes), x.deliveredBytes])],
        ['goodput', ...dl((x) => [fmtBps(x.goodputBps), x.goodputBps])],
        ['retransmitted (same subflow)', ...dl((x) => [fmtBytes(x.retransmittedBytes), x.retransmittedBytes])],
        ['reinjected (other subflow)', ...dl((x) => [fmtBytes(x.reinjectedBytes), x.reinjectedBytes])],
        ['out of order', ...dl((x) => [`${fmtBytes(x.outOfOrderBytes)} in ${x.outOfOrderSegments} segments`, x.outOfOrderBytes])],
        ['head-of-line delay mean / max', ...dl((x) => `${fmtSec(x.headOfLine.meanDelaySec)} / ${fmtSec(x.headOfLine.maxDelaySec)}`)],
        ['holes at the end', ...dl((x) => [`${x.holes.length}: ${fmtBytes(x.holes.reduce((a, h) => a + h.bytes, 0))}`, x.holes.length])],
        ['not captured / skipped', ...dl((x) => `${fmtBytes(x.notCapturedBytes)} / ${fmtBytes(x.skippedBytes)}`)],
        ['mappings / conflicts', ...dl((x) => `${x.mappings} / ${x.mappingConflicts.length}`)],
        ['DSS checksums verified / failed', ...dl((x) => `${x.checksumsVerified} / ${x.checksumFailures}`)],
        ['DATA_ACK / DATA_FIN (relative)', ...dl((x) => `${x.dataAck === null ? '–' : x.dataAck} / ${x.dataFin === null ? '–' : x.dataFin}`)],
      ];
      sec.append(table(['', 'client → server', 'server → client'], rows));
      sec.append(el('h3', { text: 'Closing' }));
      sec.append(table(['time', 'frame', 'event', 'by', 'subflow'], k.closing.events.map((e) => [[fmtSec(e.time), e.time], e.frame === null ? '–' : String(e.frame), e.event, e.by || '–', e.subflow === null ? 'connection' : name(laneOf.get(e.subflow))])));
      if (k.closing.anomalies.length) sec.append(el('ul', { class: 'problems' }, k.closing.anomalies.map((a) => el('li', { text: a }))));
      if (k.problems.length) {
        sec.append(el('h3', { text: 'Problems' }));
        sec.append(el('ul', { class: 'problems' }, k.problems.map((p) => el('li', { text: `frame ${p.frame}: ${p.kind}: ${p.message}` }))));
      }
    }
  }

  // ------------------------------------------------------------------ go
  try {
    overview();
    for (const d of P.details) connection(d);
    if (P.details.length === 0) app.append(el('p', { class: 'hint', text: A.connections.length === 0 ? 'No MPTCP connection to draw.' : 'No detail sections (--top 0 and no --connection).' }));
  } catch (e) {
    state.errors.push(String(e && e.stack ? e.stack : e));
    throw e;
  }
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const u of charts) u.setSize({ width: Math.max(480, Math.min(u.root.parentElement.clientWidth || 900, 1400)), height: u.height });
    }, 150);
  });
  // uPlot draws in a microtask after each chart is made: ready once the next frame is painted
  requestAnimationFrame(() => {
    state.ready = true;
    document.documentElement.dataset.ready = '1';
  });
})();
