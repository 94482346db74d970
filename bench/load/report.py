"""Markdown report of a bench/serve-load-faults.sh run: WORK INVOCATION COMMIT SFI_VERSION LOADAVG."""
import collections, csv, json, os, platform, subprocess, sys

work, invocation, commit, version, loadavg = sys.argv[1:6]
faults, t0, t_end = [], None, None
for line in open(os.path.join(work, "faults.txt")):
    f = line.split()
    if f[0] == "start": t0 = int(f[1])
    elif f[0] == "end": t_end = int(f[1])
    else: faults.append((f[0], int(f[1]), int(f[-1])))  # name, fault start, both nodes ready again

rows = []
with open(os.path.join(work, "out", "requests.csv")) as fh:
    for r in csv.DictReader(fh):
        latency = float(r["latency_ms"])
        rows.append(dict(kind=r["kind"], node=r["node"], outcome=r["outcome"], latency=latency, start=int(r["unix_ms"]) - latency))
summary = json.load(open(os.path.join(work, "out", "summary.json")))

def window(r):
    """The fault whose window (fault start .. both nodes ready again) the request overlapped, else None."""
    for name, a, b in faults:
        if r["start"] <= b and r["start"] + r["latency"] >= a: return name
    return None

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")

kinds = ["jwks", "sign", "token", "token-dpop", "introspect", "findings"]
requests = [r for r in rows if r["kind"] in kinds]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
duration = (t_end - t0) / 1000
print(f"\nCommand: `{invocation}`; {duration:.0f} s; {cpu}, {os.cpu_count()} cores; load average (1/5/15 min) at start / after the node fault / at end: {loadavg}; "
      f"sfi {version}, commit {commit}.\n")
print("| Kind | requests | ok | errors in fault windows | errors outside | p50 ms | p95 ms | p99 ms |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for k in kinds:
    rs = [r for r in requests if r["kind"] == k]
    ok = [r["latency"] for r in rs if r["outcome"] == "ok"]
    inside = sum(1 for r in rs if r["outcome"] != "ok" and window(r))
    outside = sum(1 for r in rs if r["outcome"] != "ok" and not window(r))
    print(f"| {k} | {len(rs):,} | {len(ok):,} | {inside:,} | {outside:,} | {pct(ok, 50):.0f} | {pct(ok, 95):.0f} | {pct(ok, 99):.0f} |")
print(f"\nLatencies are of successful requests, measured in the generator (client side). Throughput: {len(requests) / duration:.1f} requests/s.\n")

print("Errors by kind and outcome (`refused`: connection refused; `timeout`: no answer in 15 s; `http-N`: status N):\n")
print("| Where | kind | outcome | count |")
print("|---|---|---|---:|")
errors = collections.Counter((window(r) or "outside any fault", r["kind"], r["outcome"]) for r in requests if r["outcome"] != "ok")
for (w, k, o), n in sorted(errors.items()):
    print(f"| {w} | {k} | {o} | {n:,} |")
if not errors: print("| — | — | none | 0 |")

print("\nFault windows (seconds from the start of the load; a window runs from the fault until both nodes answer /readyz again):\n")
for name, a, b in faults:
    print(f"- {name}: {(a - t0) / 1000:.1f} s to {(b - t0) / 1000:.1f} s ({(b - a) / 1000:.1f} s)")
outside = sorted((r for r in requests if r["outcome"] != "ok" and not window(r)), key=lambda r: r["start"])
if outside:
    print(f"\nErrors outside the fault windows ({len(outside)}), first ones (seconds from start, kind, node port, outcome):")
    for r in outside[:15]:
        print(f"- {(r['start'] - t0) / 1000:.1f} s {r['kind']} :{r['node']} {r['outcome']}")
inactive = sum(1 for r in rows if r["kind"] == "introspect-inactive")
print(f"\nTokens issued **{summary['tokensIssued']:,}**, verified by the relying party {summary['tokensVerified']:,}, "
      f"**failing verification {summary['tokensFailingVerification']}** (target 0); JWKS fetches by the relying party {summary['jwksRefreshes']}; "
      f"distinct token-signing kids {len(summary['tokenKids'])}, distinct 'load' ring kids seen by signing {len(summary['signKids'])} "
      f"(a rotation every 30 s gives about {duration / 30:.0f}); introspection answers `active: false` {inactive} (tokens live 15 s; the introspected token is one of the last 64 issued).")
if summary["verificationFailures"]:
    print("\nVerification failures (first ones):")
    for s in summary["verificationFailures"][:10]:
        print(f"- `{s}`")
if summary["errorAnswers"]:
    print("\nHTTP error answers, most frequent first (count, kind, status, body):")
    for s, n in list(summary["errorAnswers"].items())[:12]:
        print(f"- {n:,} × `{s}`")
