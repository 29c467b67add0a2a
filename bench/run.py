#!/usr/bin/env python3
"""faultline benchmark: full lint vs parse-only vs peer tools, on one real Go corpus.

    python3 bench/run.py              # install what is missing, build, measure, print
    python3 bench/run.py --runs 5     # more repetitions
    python3 bench/run.py --no-peers   # faultline only

The corpus is Go's standard library (Debian golang-go) plus the Go sources of a few
dozen Debian golang-*-dev server and client packages (bench/corpus-packages.txt),
copied into bench/corpus/ without testdata/ and vendor/ directories so that every tool
reads exactly the same files. Nothing here is committed: bench/corpus and bench/.tools
are ignored by git.

Printed: wall time (min and median of the runs) and peak RSS of each command, the
ratio of a full `faultline check` to the parse-only baseline (the same discovery,
reading, parsing and one tree walk, without index or rules), the 1-thread / 2-thread
speed-up, and each peer tool's time as a multiple of faultline's.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CORPUS = BENCH / "corpus"
TOOLS = BENCH / ".tools"
GOROOT_SRC = Path("/usr/share/go-1.19/src")
GOCODE = Path("/usr/share/gocode/src")
AST_GREP_VERSION = "0.51.1"
SEMGREP_VERSION = "1.179.0"


def sh(cmd, **kw):
    print("+", " ".join(map(str, cmd)), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, **kw)


def packages():
    out = []
    for line in (BENCH / "corpus-packages.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            pkg, src = line.split()
            out.append((pkg, src))
    return out


def install(peers):
    apt = ["golang-go"] + [p for p, _ in packages()]
    if peers:
        apt.append("go-staticcheck")
    apt += ["hyperfine"] if shutil.which("hyperfine") is None else []
    missing = [p for p in apt if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if missing:
        sh(["apt-get", "update", "-qq"])
        sh(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if not peers:
        return
    TOOLS.mkdir(parents=True, exist_ok=True)
    if not (TOOLS / "node_modules/.bin/ast-grep").exists():
        sh(["npm", "install", "--silent", "--prefix", str(TOOLS), f"@ast-grep/cli@{AST_GREP_VERSION}"])
    venv = TOOLS / "venv"
    if not (venv / "bin/semgrep").exists():
        sh([sys.executable, "-m", "venv", str(venv)])
        sh([str(venv / "bin/pip"), "install", "-q", f"semgrep=={SEMGREP_VERSION}"])


def skipped(name):
    return name in ("testdata", "vendor") or name.startswith((".", "_"))


def copy_tree(src, dst):
    files = lines = 0
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if not skipped(d))
        for f in filenames:
            if not f.endswith(".go"):
                continue
            s = Path(dirpath) / f
            if not s.is_file() or s.is_symlink():
                continue
            d = dst / s.relative_to(src)
            d.parent.mkdir(parents=True, exist_ok=True)
            data = s.read_bytes()
            d.write_bytes(data)
            files += 1
            lines += data.count(b"\n")
    return files, lines


def build_corpus():
    stamp = CORPUS / ".stamp.json"
    if stamp.exists():
        return json.loads(stamp.read_text())
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    total_files = total_lines = 0
    parts = [("go-std", GOROOT_SRC)] + [(src.replace("/", "_"), GOCODE / src) for _, src in packages()]
    for name, src in parts:
        if not src.is_dir():
            print(f"warning: {src} missing; skipped", file=sys.stderr)
            continue
        f, l = copy_tree(src, CORPUS / name)
        total_files += f
        total_lines += l
    info = {"files": total_files, "lines": total_lines}
    stamp.write_text(json.dumps(info))
    return info


def measure(name, cmd, runs, cwd=None, ok_codes=(0, 1)):
    """Run `cmd` `runs` times; wall times and the peak RSS (KiB) of the last run."""
    times = []
    rss = None
    for _ in range(runs):
        start = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], cwd=cwd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - start)
        if p.returncode not in ok_codes:
            print(f"error: {name} exited {p.returncode}:\n{p.stderr[-2000:]}", file=sys.stderr)
            return None
        m = re.search(r"(\d+)\s*$", p.stderr.strip())
        rss = int(m.group(1)) if m else None
    return {"name": name, "min": min(times), "median": statistics.median(times), "rss_kib": rss,
            "runs": runs}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-peers", action="store_true", help="measure faultline only")
    ap.add_argument("--no-install", action="store_true")
    args = ap.parse_args()
    peers = not args.no_peers

    if not args.no_install:
        install(peers)
    info = build_corpus()
    sh(["cargo", "build", "--release", "-q", "-p", "faultline"], cwd=ROOT)
    fl = str(ROOT / "target/release/faultline")
    corpus = str(CORPUS)
    print(f"\ncorpus: {info['files']} files, {info['lines']:,} lines in {CORPUS}", flush=True)

    results = {}

    def run(key, name, cmd, **kw):
        r = measure(name, cmd, kw.pop("runs", args.runs), **kw)
        if r:
            results[key] = r
            print(f"  {name:<44} min {r['min']:7.2f} s  median {r['median']:7.2f} s  "
                  f"peak {r['rss_kib'] / 1024 if r['rss_kib'] else float('nan'):7.1f} MiB", flush=True)

    print("\nfaultline (2 cores):")
    # Interleaved: each round runs every command once, so a drift in the machine's
    # speed (shared hosts drift by 10-30 % over minutes) hits a full lint and its
    # parse-only baseline alike; the ratios below are also taken round by round.
    mine = [
        ("parse", "parse + walk only (-j2)", [fl, "check", "--parse-only", "-j2", corpus]),
        ("full2", "faultline check, all rules (-j2)", [fl, "check", "--format", "concise", "-j2", corpus]),
        ("full1", "faultline check, all rules (-j1)", [fl, "check", "--format", "concise", "-j1", corpus]),
        ("parse1", "parse + walk only (-j1)", [fl, "check", "--parse-only", "-j1", corpus]),
        ("time2", "faultline check --select time (-j2)",
         [fl, "check", "--select", "time", "--format", "concise", "-j2", corpus]),
    ]
    rounds = {key: [] for key, _, _ in mine}
    for _ in range(args.runs):
        for key, name, cmd in mine:
            r = measure(name, cmd, 1)
            if r:
                rounds[key].append(r)
    for key, name, _ in mine:
        rs = rounds[key]
        if not rs:
            continue
        times = [r["min"] for r in rs]
        results[key] = {"name": name, "min": min(times), "median": statistics.median(times),
                        "rss_kib": rs[-1]["rss_kib"], "runs": len(rs), "times": times}
        r = results[key]
        print(f"  {name:<44} min {r['min']:7.2f} s  median {r['median']:7.2f} s  "
              f"peak {r['rss_kib'] / 1024 if r['rss_kib'] else float('nan'):7.1f} MiB", flush=True)

    if peers:
        print("\npeers (2 threads where they take a thread count):")
        sg = TOOLS / "node_modules/.bin/ast-grep"
        run("astgrep", "ast-grep scan, 3 time rules (-j2)",
            [str(sg), "scan", "--config", str(BENCH / "peers/ast-grep/sgconfig.yml"), "--threads", "2",
             "--report-style", "short", corpus])
        semgrep = TOOLS / "venv/bin/semgrep"
        run("semgrep", "semgrep, 3 time rules (-j2)",
            [str(semgrep), "scan", "--config", str(BENCH / "peers/semgrep.yml"), "--metrics", "off", "--no-git-ignore",
             "--disable-version-check", "-j", "2", "--quiet", "--timeout", "0", corpus], runs=1,
            ok_codes=(0, 1, 2))  # 2: some files did not parse; the rest was scanned
        # Debian names the binary go-staticcheck.
        staticcheck = shutil.which("staticcheck") or shutil.which("go-staticcheck")
        if staticcheck:
            # Type-checks, so it runs on Go packages in place: the standard library only.
            env_cwd = str(GOROOT_SRC)
            run("staticcheck_std", "staticcheck SA1015, std library",
                [staticcheck, "-checks", "SA1015", "std"], cwd=env_cwd, runs=1, ok_codes=(0, 1))
            run("faultline_std", "faultline check, std library (-j2)",
                [fl, "check", "--format", "concise", "-j2", str(CORPUS / "go-std")])

    print("\nsummary:")
    p, f2, f1 = results.get("parse"), results.get("full2"), results.get("full1")

    def paired(full, base):
        """The median over rounds of full / parse-only within one round."""
        pairs = [a / b for a, b in zip(full.get("times", []), base.get("times", []))]
        return f"; per round {', '.join(f'{x:.2f}' for x in pairs)}, median {statistics.median(pairs):.2f}x" if pairs else ""

    if p and f2:
        print(f"  full lint / parse-only (2 threads):  {f2['min'] / p['min']:.2f}x   (target <= 1.3x, goal 1.0x){paired(f2, p)}")
    p1 = results.get("parse1")
    if p1 and f1:
        print(f"  full lint / parse-only (1 thread):   {f1['min'] / p1['min']:.2f}x   (the work itself, without load balance){paired(f1, p1)}")
    if f1 and f2:
        print(f"  speed-up 1 -> 2 threads:             {f1['min'] / f2['min']:.2f}x   (target >= 1.8x)")
    if f2 and f2["rss_kib"]:
        print(f"  peak RSS, full lint:                 {f2['rss_kib'] / 1024:.0f} MiB (target < 300 MiB)")
    for key, label in [("astgrep", "ast-grep (3 rules)"), ("semgrep", "semgrep (3 rules)")]:
        if key in results and f2:
            print(f"  {label + ' / faultline (all rules):':<37}{results[key]['min'] / f2['min']:.2f}x")
    if "staticcheck_std" in results and "faultline_std" in results:
        print(f"  {'staticcheck / faultline (std):':<37}"
              f"{results['staticcheck_std']['min'] / results['faultline_std']['min']:.2f}x")
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps({"corpus": info, "results": results}, indent=2))
    print(f"\nraw numbers: {out / 'latest.json'}")


if __name__ == "__main__":
    main()
