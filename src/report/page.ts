/**
 * What the two report pages (html.ts: one capture; compare-html.ts: two) share: their fixed parts
 * read once from the package (uPlot from its npm package, the rest from assets/report/), and the
 * escaping of text put inline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const cache = new Map<string, string>();

function cached(key: string, read: () => string): string {
  let text = cache.get(key);
  if (text === undefined) {
    text = read();
    cache.set(key, text);
  }
  return text;
}

/** A file of assets/report/ (app.js, app.css, compare.js, compare.css). */
export function ownAsset(name: string): string {
  return cached(name, () => readFileSync(fileURLToPath(new URL(`../../assets/report/${name}`, import.meta.url)), 'utf8'));
}

/** uPlot's script and stylesheet, from its npm package. */
export function uplotAssets(): { js: string; css: string } {
  const dir = (): string => fileURLToPath(new URL('.', `file://${createRequire(import.meta.url).resolve('uplot/package.json')}`));
  return {
    js: cached('uPlot.js', () => readFileSync(`${dir()}dist/uPlot.iife.min.js`, 'utf8')),
    css: cached('uPlot.css', () => readFileSync(`${dir()}dist/uPlot.min.css`, 'utf8')),
  };
}

export const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/** Inline script text: only `</script` could end it early. */
export const scriptText = (s: string): string => s.replace(/<\/(script)/gi, '<\\/$1');
