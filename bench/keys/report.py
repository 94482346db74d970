#!/usr/bin/env python3
"""Summary of bench/keys-sign.sh: reads its results file (one line per measurement) and prints the per-run figures,
the medians with their ranges, and the ratios against the key-custody targets, in Markdown.

Standard library only; run by the shell script (rerun it by hand on bench/.work/keys/results.txt to re-print).
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys

LIBRARY_TARGET = 0.70
HTTP_TARGET = 0.30
JWKS_TARGET = 5000.0


def parse(path: str) -> dict[int, dict[str, object]]:
    """run number -> {key: value}; keys: load, raw-session-1, raw-token-2, library-1, sign-c16, jwks, ..."""
    runs: dict[int, dict[str, object]] = {}
    for line in open(path, encoding="utf-8"):
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if "run" not in fields:
            continue
        run = runs.setdefault(int(fields["run"]), {})
        if " load " in line:
            run["load"] = f"{fields.get('idle', '?')} idle, {fields.get('loadavg', '?')}"
        elif " raw " in line:
            run[f"raw-{fields['key']}-{fields['threads']}"] = float(fields["rate"])
        elif " library " in line:
            run[f"library-{fields['threads']}"] = float(fields["rate"])
        elif " http-sign " in line:
            run[f"sign-c{fields['conns']}"] = float(fields["rate"])
            run[f"sign-c{fields['conns']}-latency"] = latency_ms(fields["latency"])
            run[f"sign-c{fields['conns']}-p99"] = latency_ms(fields.get("p99", ""))
            if "socket-errors" in fields:
                run[f"sign-c{fields['conns']}-errors"] = fields["socket-errors"]
        elif " http-jwks " in line:
            run["jwks"] = float(fields["rate"])
            run["jwks-latency"] = latency_ms(fields["latency"])
            if "socket-errors" in fields:
                run["jwks-errors"] = fields["socket-errors"]
    return runs


def latency_ms(text: str) -> float | None:
    m = re.fullmatch(r"([0-9.]+)(us|ms|s)", text)
    if not m:
        return None
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def values(runs, key) -> list[float]:
    return [r[key] for r in runs.values() if r.get(key) is not None]


def spread(xs: list[float], fmt: str = "{:,.0f}") -> str:
    if not xs:
        return "n/a"
    return f"{fmt.format(statistics.median(xs))} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"


def ratios(runs, top: str, bottom: str) -> list[float]:
    return [r[top] / r[bottom] for r in runs.values() if r.get(top) and r.get(bottom)]


def pct(xs: list[float]) -> str:
    if not xs:
        return "n/a"
    return f"**{statistics.median(xs):.0%}** (per run {min(xs):.0%}–{max(xs):.0%})"


def verdict(xs: list[float], target: float) -> str:
    return "met" if xs and statistics.median(xs) >= target else "missed"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    for name in ("wait-idle", "runs", "seconds", "jwks-seconds", "command", "cores", "cpu", "ram-kb", "os", "kernel", "softhsm", "wrk", "dotnet", "commit"):
        ap.add_argument(f"--{name}", default="?")
    a = ap.parse_args()
    runs = dict(sorted(parse(a.results).items()))
    if not runs:
        print("keys-sign: no results", file=sys.stderr)
        return 1
    conns = sorted({int(k[6:]) for r in runs.values() for k in r if re.fullmatch(r"sign-c\d+", k)})
    best = max(conns, key=lambda c: statistics.median(values(runs, f"sign-c{c}"))) if conns else None
    ram_gib = int(a.ram_kb) / 1024 / 1024 if a.ram_kb.isdigit() else 0.0
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    out = []
    w = out.append
    w(f"Run {now} on {a.cpu}, {a.cores} cores (`nproc`), {ram_gib:.1f} GiB RAM, {a.os} (kernel {a.kernel}); "
      f"SoftHSM {a.softhsm}, wrk {a.wrk}, .NET SDK {a.dotnet}; commit {a.commit}.")
    w("")
    waits = re.findall(r"^waits=(\d+)$", open(a.results, encoding="utf-8").read(), re.M)
    quiet = (f"before each measurement the script waited for the CPUs to be at least {a.wait_idle} % idle over a second "
             f"({waits[0] if waits else '?'} measurements had to wait)") if a.wait_idle not in ("0", "?") else "no waiting for an idle machine"
    w(f"Command: `{a.command}` ({a.runs} runs; signing measurements {a.seconds} s each, JWKS {a.jwks_seconds} s; "
      f"within a run every path is measured once, one after the other, never two at once; {quiet}).")
    w("")
    w("Medians over the runs (min–max), signatures or requests per second:")
    w("")
    w("| Path | 1 thread | 2 threads |")
    w("|---|---:|---:|")
    w(f"| raw `C_Sign`, session-object key (reference) | {spread(values(runs, 'raw-session-1'))} | {spread(values(runs, 'raw-session-2'))} |")
    w(f"| raw `C_Sign`, token-object key (reference, like sfi's keys) | {spread(values(runs, 'raw-token-1'))} | {spread(values(runs, 'raw-token-2'))} |")
    w(f"| library (`Pkcs11Custodian.SignDigest`, token-object key) | {spread(values(runs, 'library-1'))} | {spread(values(runs, 'library-2'))} |")
    for c in conns:
        lat = values(runs, f"sign-c{c}-latency")
        p99 = values(runs, f"sign-c{c}-p99")
        mark = " ← best" if c == best and len(conns) > 1 else ""
        w(f"| HTTP sign, `wrk -t2 -c{c}`{mark} | | {spread(values(runs, f'sign-c{c}'))}; mean latency {spread(lat, '{:.2f}')} ms, p99 {spread(p99, '{:.2f}')} ms |")
    w(f"| JWKS, `wrk -t2 -c64` (requests/s) | | {spread(values(runs, 'jwks'))}; mean latency {spread(values(runs, 'jwks-latency'), '{:.2f}')} ms |")
    w("")

    lib_tok = [ratios(runs, f"library-{t}", f"raw-token-{t}") for t in (1, 2)]
    lib_ses = [ratios(runs, f"library-{t}", f"raw-session-{t}") for t in (1, 2)]
    w("Ratios, taken per run (each run measures every path back to back), median and range over the runs:")
    w("")
    w(f"- library / raw, same key kind (token object): 1 thread {pct(lib_tok[0])}, 2 threads {pct(lib_tok[1])}; "
      f"target ≥ 70 %: **{verdict(lib_tok[0], LIBRARY_TARGET)}** (1 thread), **{verdict(lib_tok[1], LIBRARY_TARGET)}** (2 threads).")
    w(f"- library / raw with the in-memory session key (stricter): 1 thread {pct(lib_ses[0])}, 2 threads {pct(lib_ses[1])}; "
      f"against 70 %: {verdict(lib_ses[0], LIBRARY_TARGET)} (1 thread), {verdict(lib_ses[1], LIBRARY_TARGET)} (2 threads).")
    w(f"- token-object / session-object raw `C_Sign` (the cost of SoftHSM2's on-disk object checks): "
      f"1 thread {pct(ratios(runs, 'raw-token-1', 'raw-session-1'))}, 2 threads {pct(ratios(runs, 'raw-token-2', 'raw-session-2'))}.")
    if best is not None:
        http_tok = ratios(runs, f"sign-c{best}", "raw-token-2")
        http_ses = ratios(runs, f"sign-c{best}", "raw-session-2")
        w(f"- HTTP (best setting, `-c{best}`) / raw at 2 threads (the server may use both cores): token-object key {pct(http_tok)}, "
          f"session-object key {pct(http_ses)}; target ≥ 30 %: **{verdict(http_tok, HTTP_TARGET)}** (token key), "
          f"**{verdict(http_ses, HTTP_TARGET)}** (session key).")
        others = ", ".join(f"`-c{c}` {pct(ratios(runs, f'sign-c{c}', 'raw-token-2'))}" for c in conns if c != best)
        if others:
            w(f"  Other settings, / raw token key at 2 threads: {others}.")
    jw = values(runs, "jwks")
    if jw:
        w(f"- JWKS: **{statistics.median(jw):,.0f} requests/s** median (range {min(jw):,.0f}–{max(jw):,.0f}); "
          f"target ≥ 5,000: **{'met' if statistics.median(jw) >= JWKS_TARGET else 'missed'}**.")
    errors = [f"run {n} {k[:-7]}: {v}" for n, r in runs.items() for k, v in r.items() if k.endswith("-errors")]
    if errors:
        w(f"- wrk socket errors: {'; '.join(errors)}.")
    w("")

    w("Per run (signatures or requests per second; machine = CPU idle over the second before the run, and /proc/loadavg 1/5/15 min):")
    w("")
    head = ["Run", "machine", "raw sess 1t", "raw tok 1t", "lib 1t", "raw sess 2t", "raw tok 2t", "lib 2t"]
    head += [f"HTTP c{c}" for c in conns] + ["JWKS", "lib/raw tok 1t", "lib/raw tok 2t"]
    if best is not None:
        head.append(f"HTTP c{best}/raw tok 2t")
    w("| " + " | ".join(head) + " |")
    w("|" + "---:|" * len(head))
    for n, r in runs.items():
        def cell(key):
            return f"{r[key]:,.0f}" if r.get(key) is not None else "—"

        def ratio(top, bottom):
            return f"{r[top] / r[bottom]:.0%}" if r.get(top) and r.get(bottom) else "—"

        row = [str(n), str(r.get("load", "?"))] + [cell(k) for k in ("raw-session-1", "raw-token-1", "library-1", "raw-session-2", "raw-token-2", "library-2")]
        row += [cell(f"sign-c{c}") for c in conns] + [cell("jwks"), ratio("library-1", "raw-token-1"), ratio("library-2", "raw-token-2")]
        if best is not None:
            row.append(ratio(f"sign-c{best}", "raw-token-2"))
        w("| " + " | ".join(row) + " |")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
