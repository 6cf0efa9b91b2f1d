/**
 * Many display filters over one capture in a single tshark pass: a Lua script (tshark's own Lua)
 * registers one tap Listener per filter, and each listener prints the frames its filter passes.
 * A tap's filter is the same dfilter as -Y's, on the same single-pass tree (the test checks a few
 * against real `tshark -Y` runs). Cached on disk like tsharkTable: keyed by the capture's size and
 * mtime, the filters and the tshark binary.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tsharkPath } from './corpus.ts';

const LUA = `
local filters = {}
for line in io.lines(os.getenv("MPCAP_FILTERS")) do filters[#filters+1] = line end
for i, f in ipairs(filters) do
  local ok, l = pcall(Listener.new, "frame", f)
  if not ok then io.write("E\\t" .. i .. "\\n") else
    l.packet = function(pinfo) io.write(i .. "\\t" .. pinfo.number .. "\\n") end
  end
end
`;

const dir = path.join(tmpdir(), 'mpcap-test-tshark-filters');

/** For each filter, the frame numbers tshark passes, or null when tshark refuses the filter. */
export async function tsharkFilterFrames(file: string, filters: readonly string[]): Promise<Array<number[] | null>> {
  mkdirSync(dir, { recursive: true });
  const st = statSync(file);
  const ts = tsharkPath ? statSync(tsharkPath).mtimeMs : 0;
  const key = createHash('sha256').update(JSON.stringify([path.resolve(file), st.size, st.mtimeMs, filters, ts, LUA])).digest('hex').slice(0, 32);
  const cached = path.join(dir, `${key}.out`);
  let text: string;
  if (existsSync(cached)) {
    text = readFileSync(cached, 'utf8');
  } else {
    const lua = path.join(dir, `${key}.lua`);
    const list = path.join(dir, `${key}.filters`);
    writeFileSync(lua, LUA);
    writeFileSync(list, filters.join('\n') + '\n');
    text = await new Promise<string>((resolve, reject) =>
      execFile(tsharkPath ?? 'tshark', ['-q', '-r', file, '-X', `lua_script:${lua}`], { maxBuffer: 1 << 30, env: { ...process.env, LC_ALL: 'C', MPCAP_FILTERS: list } }, (err, stdout, stderr) =>
        err ? reject(new Error(`tshark failed on ${file}: ${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    writeFileSync(`${cached}.tmp`, text);
    renameSync(`${cached}.tmp`, cached);
  }
  const out: Array<number[] | null> = filters.map(() => []);
  for (const line of text.split('\n')) {
    const [a, b] = line.split('\t');
    if (a === 'E') out[Number(b) - 1] = null;
    else if (a !== undefined && b !== undefined && /^\d+$/.test(a)) (out[Number(a) - 1] as number[] | null)?.push(Number(b));
  }
  return out;
}
