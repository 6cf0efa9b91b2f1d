/*
 * mpcap compare page: two captures of the same traffic (compare --json, in script#mpcap-compare).
 * Per matched connection: its subflows and how each was matched, a plot of the one-way delay of
 * every path direction over time (one series per subflow direction, the points of compare --json's
 * series as they are), the losses and reordering per path, and the data-level delay (first send →
 * in-order delivery) per direction. Plain ES2020, no modules, offline (uPlot is inlined).
 * window.mpcapCompare tells a test what was drawn.
 */
(function () {
  'use strict';
  const state = (window.mpcapCompare = { ready: false, plots: [], errors: [], charts: [] });
  window.addEventListener('error', (e) => state.errors.push(String(e.message)));

  const C = JSON.parse(document.getElementById('mpcap-compare').textContent);
  const app = document.getElementById('app');
  // Okabe–Ito (colour-blind safe); each subflow one colour, its s2c direction dashed
  const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#56B4E9', '#CC79A7', '#C9B200', '#000000'];
  const color = (i) => PALETTE[i % PALETTE.length];

  function el(tag, attrs, children) {
    const n = document.createElement(tag);
    if (attrs) for (const k of Object.keys(attrs)) {
      if (k === 'text') n.textContent = attrs[k];
      else if (k === 'class') n.className = attrs[k];
      else n.setAttribute(k, attrs[k]);
    }
    if (children) for (const c of children) if (c !== null && c !== undefined) n.append(c);
    return n;
  }
  function table(headers, rows) {
    return el('table', { class: 'data' }, [
      el('thead', null, [el('tr', null, headers.map((h) => el('th', { text: h })))]),
      el('tbody', null, rows.map((r) => el('tr', null, r.map((c) => {
        const o = c !== null && typeof c === 'object' ? c : { text: c };
        const td = el('td', { text: o.text === null || o.text === undefined ? '–' : String(o.text) });
        if (typeof o.text === 'number') td.className = 'num';
        if (o.bad) td.className += ' bad';
        return td;
      })))),
    ]);
  }
  function fmtUs(x) {
    if (x === null || x === undefined) return '–';
    const a = Math.abs(x);
    if (a < 1000) return x.toFixed(0) + ' µs';
    if (a < 1e6) return (x / 1000).toFixed(a < 1e4 ? 2 : 1) + ' ms';
    return (x / 1e6).toFixed(3) + ' s';
  }
  const sub = (s) => 'A#' + (s.tcpStreamA === null ? '–' : s.tcpStreamA) + ' / B#' + (s.tcpStreamB === null ? '–' : s.tcpStreamB);
  const tup = (t) => (t ? t.client + ' → ' + t.server : '–');
  const other = (side) => (side === 'A' ? 'B' : 'A');

  /** One uPlot line plot; `lines`: [{ label, time, values, stroke, dash }] (each its own x values). */
  function plot(parent, spec) {
    const fig = el('figure', { class: 'plot', id: spec.id, 'data-kind': spec.kind });
    fig.append(el('figcaption', null, [el('span', { class: 'title', text: spec.title })]));
    const target = el('div', { class: 'target' });
    fig.append(target);
    if (spec.help) fig.append(el('p', { class: 'help', text: spec.help }));
    parent.append(fig);
    // mode 2: each series its own x values, every point kept (several packets may share a send time)
    const data = [null].concat(spec.lines.map((l) => [l.time, l.values]));
    const width = Math.max(480, Math.min(target.clientWidth || 900, 1400));
    const facets = [{ scale: 'x', auto: true }, { scale: 'y', auto: true }];
    const u = new uPlot({
      mode: 2,
      width,
      height: 320,
      scales: { x: { time: false, auto: true }, y: { auto: true } },
      series: [{}].concat(spec.lines.map((l) => ({ label: l.label, stroke: l.stroke, dash: l.dash, width: 1.5, facets, paths: uPlot.paths.linear(), points: { show: false } }))),
      axes: [
        { scale: 'x', label: 'send time since the first packet of the two captures (s)', space: 70 },
        { scale: 'y', label: spec.yLabel, size: 80, values: (u, vals) => vals.map((v) => (v === null ? '' : fmtUs(v))) },
      ],
      legend: { live: false },
      cursor: { drag: { x: true, y: false }, points: { show: false } },
    }, data, target);
    state.charts.push(u);
    state.plots.push({ id: spec.id, kind: spec.kind, labels: spec.lines.map((l) => l.label), keys: spec.lines.map((l) => l.key), series: u.series.length - 1, points: spec.lines.reduce((a, l) => a + l.time.length, 0) });
    return u;
  }

  function header() {
    app.append(el('header', null, [
      el('h1', { text: 'mpcap compare' }),
      el('p', { class: 'sub', text: 'A: ' + C.files.A + ' (' + C.packets.A + ' packets) · B: ' + C.files.B + ' (' + C.packets.B + ' packets) · ' + C.generator }),
    ]));
    app.append(el('p', { class: 'clock', text: C.clock.note }));
    const matched = C.connections.filter((c) => c.connectionA !== null && c.connectionB !== null).length;
    app.append(el('p', { text: matched + ' connection(s) seen in both captures, ' + (C.connections.length - matched) + ' in one only; plain TCP not compared: A ' + C.plainTcp.A + ', B ' + C.plainTcp.B + ' packets' + (C.evicted > 0 ? '; ' + C.evicted + ' packets decided early (--max-pending reached)' : '') + '.' }));
    app.append(table(['A', 'B', 'matched by', 'client side', 'subflows', 'client key'], C.connections.map((c) => [c.connectionA, c.connectionB, c.matchedBy, c.clientSide, c.subflows.length, c.clientKey])));
  }

  function connection(c, ci) {
    const sec = el('section', { class: 'connection', id: 'conn-' + ci });
    app.append(sec);
    sec.append(el('h2', { text: 'Connection A ' + (c.connectionA === null ? '–' : c.connectionA) + ' / B ' + (c.connectionB === null ? '–' : c.connectionB) + ' (matched by ' + c.matchedBy + ')' }));
    sec.append(el('h3', { text: 'Subflows' }));
    sec.append(table(['subflow (tcp.stream)', 'matched by', 'NAT', 'A: client → server', 'B: client → server', 'client side (by)'], c.subflows.map((s) => [sub(s), s.matchedBy, s.nat ? 'yes' : 'no', tup(s.tupleA), tup(s.tupleB), s.clientSide === null ? null : s.clientSide + ' (' + s.clientSideBy + ')'])));
    const lines = [];
    const rows = [];
    c.subflows.forEach((s, si) => {
      for (const d of s.directions) {
        const label = sub(s) + ' ' + d.direction + ' (' + d.senderSide + '→' + other(d.senderSide) + ')';
        rows.push([label, d.sent, d.received, d.matched, { text: d.lost, bad: d.lost > 0 }, d.sent > 0 ? (100 * d.lost / d.sent).toFixed(2) + ' %' : '–', d.receivedOnly, d.reordered, d.duplicatesSender + d.duplicatesReceiver, fmtUs(d.delay.minUs), fmtUs(d.delay.medianUs), fmtUs(d.delay.p95Us), fmtUs(d.delay.maxUs)]);
        if (d.series.time.length > 0) lines.push({ key: ci + ':' + si + ':' + d.direction, label, time: d.series.time, values: d.series.delayUs, stroke: color(si), dash: d.direction === 'c2s' ? [] : [6, 3] });
      }
    });
    plot(sec, {
      id: 'delay-' + ci,
      kind: 'delay',
      title: 'One-way delay per path direction',
      yLabel: 'one-way delay',
      lines,
      help: 'One line per subflow direction (solid: client → server, dashed: server → client), by the time the packet was sent. ' + C.clock.note + '. Drag to zoom, double click to reset.',
    });
    sec.append(el('h3', { text: 'Losses, reordering and delay per path direction' }));
    sec.append(table(['path direction', 'sent', 'received', 'matched', 'lost', 'loss', 'received only', 'reordered', 'captured twice', 'min', 'median', 'p95', 'max'], rows));
    const dl = c.data.filter((d) => d.series.time.length > 0).map((d, i) => ({ key: ci + ':data:' + d.direction, label: 'data ' + d.direction + ' (' + d.senderSide + '→' + other(d.senderSide) + ')', time: d.series.time, values: d.series.delayUs, stroke: color(i), dash: [] }));
    if (dl.length > 0) {
      plot(sec, { id: 'data-delay-' + ci, kind: 'data-delay', title: 'Data level: first send → in-order delivery', yLabel: 'delay', lines: dl, help: 'Per piece of first transmission: from its first send at the sender to its in-order delivery at the receiver (head-of-line blocking included).' });
      sec.append(table(['direction', 'bytes measured', 'median', 'p95', 'max', 'reinjections', 'useful', 'wasted'], c.data.map((d) => [d.direction + ' (' + d.senderSide + '→' + other(d.senderSide) + ')', d.bytesMeasured, fmtUs(d.delay.medianUs), fmtUs(d.delay.p95Us), fmtUs(d.delay.maxUs), d.reinjections, d.useful, d.wasted])));
    }
  }

  try {
    header();
    C.connections.forEach((c, i) => { if (c.connectionA !== null && c.connectionB !== null) connection(c, i); });
  } catch (e) {
    state.errors.push(String(e && e.stack ? e.stack : e));
    throw e;
  } finally {
    state.ready = true;
  }
})();
