#!/usr/bin/env node
// bench-chart-libs.mjs — the measurement behind the report's choice of uPlot (README, 'mpcap report'):
// one 100,000-point line series drawn by uPlot, Chart.js (with and without its decimation) and
// Vega-Lite in headless Chromium (/usr/bin/chromium): library bytes inlined, and ms from creating the
// chart to the next frame, best of 3. The libraries are not dependencies: install them apart first.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';

import puppeteer from 'puppeteer-core';
const libs_dir = process.argv[2];
if (!libs_dir) { console.error('usage: node scripts/bench-chart-libs.mjs DIR   (DIR: where npm install --prefix DIR chart.js@4 vega@5 vega-lite@5 uplot@1.6.32 put them)'); process.exit(2); }
const tmp = mkdtempSync('/tmp/mpcap-libbench-');

const N = 100000;
const gen = `const N=${N}; const xs=new Array(N), ys=new Array(N); let v=0; for(let i=0;i<N;i++){xs[i]=i/1000; v+=Math.sin(i/500)+Math.random(); ys[i]=v;}`;
const libs = {
  uplot: { js: [libs_dir + '/node_modules/uplot/dist/uPlot.iife.min.js'], css: libs_dir + '/node_modules/uplot/dist/uPlot.min.css',
    draw: `const t0=performance.now(); new uPlot({width:1200,height:400,scales:{x:{time:false}},series:[{},{stroke:'#0072B2'}]},[xs,ys],document.body); requestAnimationFrame(()=>{window.ms=performance.now()-t0;});` },
  chartjs: { js: [libs_dir + '/node_modules/chart.js/dist/chart.umd.min.js'],
    draw: `const c=document.createElement('canvas');c.width=1200;c.height=400;document.body.append(c);const t0=performance.now(); new Chart(c,{type:'line',data:{datasets:[{data:xs.map((x,i)=>({x,y:ys[i]})),pointRadius:0,borderWidth:1}]},options:{animation:false,responsive:false,parsing:false,scales:{x:{type:'linear'}}}}); requestAnimationFrame(()=>{window.ms=performance.now()-t0;});` },
  chartjs_decimated: { js: [libs_dir + '/node_modules/chart.js/dist/chart.umd.min.js'],
    draw: `const c=document.createElement('canvas');c.width=1200;c.height=400;document.body.append(c);const t0=performance.now(); new Chart(c,{type:'line',data:{datasets:[{data:xs.map((x,i)=>({x,y:ys[i]})),pointRadius:0,borderWidth:1}]},options:{animation:false,responsive:false,parsing:false,plugins:{decimation:{enabled:true,algorithm:'min-max'}},scales:{x:{type:'linear'}}}}); requestAnimationFrame(()=>{window.ms=performance.now()-t0;});` },
  vegalite: { js: [libs_dir + '/node_modules/vega/build/vega.min.js', libs_dir + '/node_modules/vega-lite/build/vega-lite.min.js'],
    draw: `const d=document.createElement('div');document.body.append(d);const t0=performance.now(); const spec=vegaLite.compile({width:1200,height:400,data:{values:xs.map((x,i)=>({x,y:ys[i]}))},mark:'line',encoding:{x:{field:'x',type:'quantitative'},y:{field:'y',type:'quantitative'}}}).spec; new vega.View(vega.parse(spec),{renderer:'canvas',container:d}).runAsync().then(()=>requestAnimationFrame(()=>{window.ms=performance.now()-t0;}));` },
};
const b = await puppeteer.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(tmp + '/ud-')}`] });
const out = {};
for (const [name, l] of Object.entries(libs)) {
  const lib = l.js.map((f) => readFileSync(f, 'utf8')).join('\n');
  const html = `<!doctype html><html><head><meta charset="utf-8"><style>${l.css ? readFileSync(l.css, 'utf8') : ''}</style></head><body><script>${lib}</script><script>${gen}${l.draw}</script></body></html>`;
  writeFileSync(`${tmp}/${name}.html`, html);
  const times = [];
  for (let r = 0; r < 3; r++) {
    const p = await b.newPage();
    const errs = [];
    p.on('pageerror', (e) => errs.push(e.message));
    await p.goto(`file://${tmp}/${name}.html`, { waitUntil: 'load' });
    await p.waitForFunction(() => window.ms !== undefined, { timeout: 60000 });
    times.push(await p.evaluate(() => window.ms));
    if (errs.length) console.error(name, errs);
    await p.close();
  }
  out[name] = { libraryBytes: Buffer.byteLength(lib), drawMsBest: Math.round(Math.min(...times)), drawMs: times.map(Math.round) };
}
await b.close();
console.log(JSON.stringify(out, null, 1));
