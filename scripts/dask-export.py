#!/usr/bin/python3
"""dask-export.py: export a capture archive to one mpcap dataset on a Dask cluster.

Usage:
  scripts/dask-export.py --scheduler tcp://HOST:PORT -o DATASET [--retries N] [--force]
                         [--node NODE] [--mpcap BIN] ARCHIVE_OR_CAPTURE...

The capture sets are those `mpcap export` makes of the same arguments (`mpcap export --list`: a
file, each capture file under a directory, a quoted glob as one set of rotated files). Each set is
one Dask task that runs `mpcap export --jobs 1 -o DATASET FILES...` as a subprocess on a worker;
DATASET must be a path every worker can write (a shared file system). A task whose mpcap fails
(exit 1 or a signal) is retried (--retries, default 2), and a task whose worker dies is run again
elsewhere by Dask itself. A capture that mpcap cannot read (exit 3) or finds damaged (exit 4) is
not a failure: it is recorded in the dataset's `captures` table with its error and exit code.
Exporting again is idempotent (a capture already there is skipped, unless --force).

Needs Debian's python3-distributed on the client and the workers (scheduler and workers started
with `python3 -m distributed.cli.dask_scheduler` / `dask_worker`), and node + mpcap on the workers.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MPCAP = os.path.join(os.path.dirname(HERE), "bin", "mpcap.js")

# mpcap's exit codes that mean "done, recorded in the dataset" (0 ok, 3 unreadable, 4 damaged)
RECORDED = {0, 3, 4}


class ExportFailed(Exception):
    pass


def export_set(files, out, node, mpcap, force):
    """One Dask task: one capture set through `mpcap export` (runs on a worker)."""
    cmd = [node, mpcap, "export", "--jobs", "1", "-o", out]
    if force:
        cmd.append("--force")
    if len(files) > 1:
        cmd.append("--merge")
    cmd += files
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in RECORDED:
        # raised: Dask retries the task (retries=...)
        raise ExportFailed("%s: mpcap exit %s: %s" % (" + ".join(files), r.returncode, r.stderr.strip()[-2000:]))
    return {"files": files, "exitCode": r.returncode, "stderr": r.stderr.strip()}


def capture_sets(node, mpcap, inputs):
    r = subprocess.run([node, mpcap, "export", "--list", *inputs], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        sys.exit(2)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def main():
    ap = argparse.ArgumentParser(description="export a capture archive to one mpcap dataset on a Dask cluster")
    ap.add_argument("--scheduler", required=True, help="the Dask scheduler's address, e.g. tcp://127.0.0.1:8786")
    ap.add_argument("-o", "--output", required=True, help="the dataset directory (shared by the workers)")
    ap.add_argument("--retries", type=int, default=2, help="times a failed task is tried again (default 2)")
    ap.add_argument("--force", action="store_true", help="export again captures already in the dataset")
    ap.add_argument("--node", default="node", help="the node binary on the workers (default: node on PATH)")
    ap.add_argument("--mpcap", default=DEFAULT_MPCAP, help="bin/mpcap.js on the workers (default: this checkout's)")
    ap.add_argument("inputs", nargs="+", help="capture files, directories, quoted globs")
    args = ap.parse_args()

    from distributed import Client, as_completed

    out = os.path.abspath(args.output)
    os.makedirs(out, exist_ok=True)
    inputs = [os.path.abspath(i) for i in args.inputs]
    sets = capture_sets(args.node, args.mpcap, inputs)
    client = Client(args.scheduler)
    futures = [
        client.submit(export_set, s, out, args.node, args.mpcap, args.force, key="mpcap-export-%d" % i, retries=args.retries, pure=False)
        for i, s in enumerate(sets)
    ]
    done = failed = 0
    for f in as_completed(futures):
        try:
            r = f.result()
            done += 1
            if r["exitCode"] != 0:
                print("dask-export: %s: recorded with exit %d: %s" % (" + ".join(r["files"]), r["exitCode"], r["stderr"].splitlines()[0] if r["stderr"] else ""), file=sys.stderr)
        except Exception as e:  # the task failed every retry
            failed += 1
            print("dask-export: %s" % e, file=sys.stderr)
        print("dask-export: %d/%d capture sets" % (done + failed, len(sets)), file=sys.stderr, flush=True)
    client.close()
    print("dask-export: %d capture sets exported to %s, %d failed" % (done, out, failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
