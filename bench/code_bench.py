#!/usr/bin/env python3
"""Helpers of bench/code-analysis.sh and bench/code-vs-devskim.sh.

  code_bench.py extract GIT_DIR DEST
      writes the C# files (.cs, .csproj, .cshtml, .razor) of GIT_DIR's HEAD under DEST; prints how many blobs a
      partial clone lacked (those files are left out)
  code_bench.py subset TREE OUT FRACTION
      hard-links into OUT the first files of TREE (path order) that hold FRACTION of its C# lines, with every .csproj
  code_bench.py replicate SOURCE OUT COPIES
      hard-links COPIES copies of the directory SOURCE into OUT/copy1..copyN (separate projects, identical content)
  code_bench.py throughput-report --timings F --tree D --half D --quarter D --replicas D --replicated NAME ...
      the markdown section of bench/code-analysis.sh
  code_bench.py score --manifest expected.yaml --corpus DIR --devskim SARIF [--sfi SARIF | --sfi-pending WHY] ...
      scores both tools against the corpus manifest; prints the markdown section of bench/code-vs-devskim.sh
  code_bench.py replace-section --doc DOC --name NAME < section.md
      replaces the text between the bench:NAME markers in DOC (appends it when they are absent), atomically
"""
import argparse
import collections
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import urllib.parse

WANTED = (".cs", ".csproj", ".cshtml", ".razor")

# DevSkim 1.0.x rule ids (default rule set) for the corpus's classes. A DevSkim result whose rule is not listed
# here counts as "other". Its weak-hash and weak-random rules flag the algorithm wherever it is used; the corpus
# marks those uses where they protect a password or a secret.
DEVSKIM_CLASSES = {
    "DS126858": "weak-password-hash",      # Weak/Broken Hash Algorithm (MD5, SHA1, ...)
    "DS168931": "weak-password-hash",      # Do not use broken/weak cryptographic hash algorithms
    "DS106863": "weak-cipher",             # Do not use the DES symmetric block cipher
    "DS106864": "weak-cipher",             # Do not use the DES symmetric block cipher
    "DS109501": "weak-cipher",             # Do not use the 3DES symmetric block cipher
    "DS156431": "weak-cipher",             # Do not use the RC2 symmetric block cipher
    "DS187371": "weak-cipher",             # A weak cipher mode of operation was used (ECB)
    "DS148264": "insecure-random",         # Do not use weak/non-cryptographic random number generators
    "DS149435": "insecure-random",         # Do not seed randomness based on system time or a static value
    "DS126187": "cert-validation-disabled",  # Disabled certificate validation
    "DS450001": "insecure-cookie",         # Cookie Secure flag is disabled (.NET)
    "DS610001": "insecure-cookie",         # Cookie missing security attributes
    "DS132782": "xxe",                     # Do not enable external entity resolution
    "DS132783": "xxe",                     # Do not enable external entity resolution
    "DS425040": "unsafe-deserialization",  # Do not deserialize untrusted data (TypeNameHandling)
    "DS425070": "unsafe-deserialization",  # Do not deserialize untrusted data (BinaryFormatter, ...)
    "DS425080": "unsafe-deserialization",  # Do not deserialize untrusted data
}
NEAR = 2  # lines either side for a "near" match: a rule that reports the object's creation, not the sink call


def line_count(path: str) -> int:
    with open(path, "rb") as f:
        data = f.read()
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


def walk(tree: str):
    for dirpath, dirnames, files in os.walk(tree):
        dirnames.sort()
        for name in sorted(files):
            if name.endswith(WANTED):
                full = os.path.join(dirpath, name)
                yield os.path.relpath(full, tree), full


def measure(tree: str) -> dict:
    m = collections.Counter()
    for rel, full in walk(tree):
        ext = os.path.splitext(rel)[1]
        m[ext + " files"] += 1
        if ext != ".csproj":
            m[ext + " lines"] += line_count(full)
    return m


def extract(args) -> None:
    listing = subprocess.run(["git", "--git-dir", args.git_dir, "ls-tree", "-r", "-z", "--full-tree", "HEAD"],
                             capture_output=True, check=True).stdout.decode("utf-8", "surrogateescape")
    wanted = []
    for item in filter(None, listing.split("\0")):
        meta, path = item.split("\t", 1)
        mode, kind, blob = meta.split()
        if kind == "blob" and path.endswith(WANTED) and mode != "120000":
            wanted.append((blob, path))
    # No lazy fetch from a partial clone's promisor remote: a missing blob is reported as missing, not downloaded.
    batch = subprocess.Popen(["git", "--git-dir", args.git_dir, "cat-file", "--batch"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env={**os.environ, "GIT_NO_LAZY_FETCH": "1"})
    missing = 0
    for blob, path in wanted:
        batch.stdin.write(blob.encode() + b"\n")
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if header[-1] == b"missing":
            missing += 1
            continue
        data = batch.stdout.read(int(header[2]))
        batch.stdout.read(1)  # the newline after the contents
        target = os.path.join(args.dest, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
    batch.stdin.close()
    batch.wait()
    print(missing)


def subset(args) -> None:
    files = list(walk(args.tree))
    total = sum(line_count(f) for r, f in files if r.endswith(".cs"))
    target, taken = total * args.fraction, 0
    if os.path.exists(args.out):
        subprocess.run(["rm", "-rf", args.out], check=True)
    for rel, full in files:
        take = rel.endswith(".csproj") or (taken < target and rel.endswith((".cs", ".cshtml", ".razor")))
        if not take:
            continue
        if rel.endswith(".cs"):
            taken += line_count(full)
        os.makedirs(os.path.dirname(os.path.join(args.out, rel)), exist_ok=True)
        os.link(full, os.path.join(args.out, rel))
    print(f"   {args.out}: {taken:,} of {total:,} C# lines ({taken / total:.0%})")


def replicate(args) -> None:
    if os.path.exists(args.out):
        subprocess.run(["rm", "-rf", args.out], check=True)
    os.makedirs(args.out)
    for i in range(1, args.copies + 1):
        subprocess.run(["cp", "-al", args.source, os.path.join(args.out, f"copy{i}")], check=True)
    print(f"   {args.out}: {args.copies} x {measure(args.source)['.cs lines']:,} C# lines")


def machine() -> str:
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0) / 1024 / 1024
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}"


def dotnet_version() -> str:
    try:
        return subprocess.run(["dotnet", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def throughput_report(args) -> None:
    runs = collections.defaultdict(list)
    cpu = collections.defaultdict(list)  # user + system CPU seconds of each run
    for line in open(args.timings):
        label, wall, kb, idle, user, system = line.split()
        if label != "warmup":
            runs[label].append((float(wall), int(kb), int(idle)))
            cpu[label].append(float(user) + float(system))
    report = json.load(open(args.report))
    summary = report.get("summary", {})
    ran = any(k.startswith("unsafe.") for k in summary)
    out = [f"Run: `{args.command}` on {machine()}; sfi {args.sfi_version} (commit {args.commit}), .NET SDK "
           f"{dotnet_version()}; each run `sfi scan TREE {args.scan_args} --format json --output F --threads N`, one "
           f"cold process (.NET start-up and JIT included), after one warm-up run; median of {args.runs}."]
    out.append("")
    if not ran:
        out += ["**Code analysis did not run** (the report has no `unsafe.*` statistics, which the code analyzer "
                "always adds): these figures time the rest of `sfi scan` over the same files, not code analysis. "
                "Rerun once `--analyzers code` exists.", ""]
    out += ["| Source | Commit | C# files | C# lines | Razor files | Missing blobs |", "|---|---|--:|--:|--:|--:|"]
    for line in open(args.sources):
        parts = line.split()
        name, head = parts[0], parts[1]
        missing = parts[2] if len(parts) > 2 else "0"
        m = measure(os.path.join(args.tree, name))
        out.append(f"| {name.replace('+', '/')} | `{head[:12]}` | {m['.cs files']:,} | {m['.cs lines']:,} | "
                   f"{m['.cshtml files'] + m['.razor files']:,} | {missing} |")
    out += ["", "| Tree | C# lines | Median s (min-max) | Lines/s | Peak RSS | s per 100k lines | CPU s per 100k lines |",
            "|---|--:|--:|--:|--:|--:|--:|"]
    rates = {}
    for label, path in (("quarter", args.quarter), ("half", args.half), ("all", args.tree)):
        if not runs[label]:
            continue
        lines = measure(path)[".cs lines"]
        walls = [w for w, _, _ in runs[label]]
        med = statistics.median(walls)
        peak = max(k for _, k, _ in runs[label]) / 1024
        rates[label] = (lines, med, peak)
        out.append(f"| {label} | {lines:,} | {med:.2f} ({min(walls):.2f}-{max(walls):.2f}) | {lines / med:,.0f} | "
                   f"{peak:,.0f} MB | {med / lines * 100_000:.2f} | {statistics.median(cpu[label]) / lines * 100_000:.2f} |")
    if "all" in rates:
        lines, med, peak = rates["all"]
        if ran:
            speed = "met" if lines / med >= 50_000 else "not met"
            memory = "met" if peak < 1024 else "not met"
            out += ["", f"Targets: >= 50,000 lines/s end to end: **{speed}** ({lines / med:,.0f}); "
                        f"peak RSS < 1 GB: **{memory}** ({peak:,.0f} MB)."]
        else:
            out += ["", "Targets (>= 50,000 lines/s, < 1 GB): not assessed, code analysis did not run."]
        if "quarter" in rates:
            q_lines, q_med, _ = rates["quarter"]
            marginal = (lines - q_lines) / (med - q_med) if med > q_med else float("inf")
            out.append(f"Linearity: 4x the lines ({q_lines:,} -> {lines:,}) took {med / q_med:.2f}x the time, start-up "
                       f"included; the lines beyond the first quarter went at {marginal:,.0f} lines/s.")
    out += uniform_scaling(runs, cpu, args.replicas, args.replicated)
    code = [f for f in report.get("findings", []) if f.get("ruleId", "").startswith("SFI-CODE-")]
    by_rule = collections.Counter(f"{f['ruleId']} {f.get('ruleName', '')}".strip() for f in code)
    out += ["", f"Code findings in the full tree: {len(code):,}"
            + (" (" + ", ".join(f"{r}: {n}" for r, n in by_rule.most_common(12)) + ")" if by_rule else "") + "."]
    inventory = {k: v for k, v in summary.items() if k.startswith("unsafe.")}
    if inventory:
        out.append("Unsafe-code inventory of the full tree: " + ", ".join(f"`{k}` {v:,}" for k, v in sorted(inventory.items())) + ".")
    idle = [i for label in runs for _, _, i in runs[label]]
    if idle:
        out.append(f"CPU idle before the timed runs: {min(idle)}-{max(idle)} % (the machine is shared).")
    print("\n".join(out))


def uniform_scaling(runs, cpu, replicas: str, source: str) -> list:
    """The linearity check on identical content: one real tree as 1, 2 and 4 separate copies, by CPU time (user +
    system, which a loaded machine inflates far less than wall time)."""
    labels = [label for label in ("x1", "x2", "x4") if runs[label]]
    if not labels:
        return []
    out = ["", f"Uniform scaling: the {source.replace('+', '/')} tree alone, as 1, 2 and 4 separate copies (each its own "
               "directory and projects, identical content), so only the amount of code changes.", "",
           "| Copies | C# lines | Median CPU s (min-max) | CPU s per 100k lines | CPU vs 1 copy | Median wall s | Peak RSS |",
           "|--:|--:|--:|--:|--:|--:|--:|"]
    base = None
    for label in labels:
        lines = measure(os.path.join(replicas, label))[".cs lines"]
        cpus = cpu[label]
        med = statistics.median(cpus)
        base = base or med
        wall = statistics.median(w for w, _, _ in runs[label])
        peak = max(k for _, k, _ in runs[label]) / 1024
        out.append(f"| {label[1:]} | {lines:,} | {med:.2f} ({min(cpus):.2f}-{max(cpus):.2f}) | "
                   f"{med / lines * 100_000:.2f} | {med / base:.2f}x | {wall:.2f} | {peak:,.0f} MB |")
    if runs["x1"] and runs["x4"]:
        one, four = statistics.median(cpu["x1"]), statistics.median(cpu["x4"])
        lines = measure(os.path.join(replicas, "x1"))[".cs lines"]
        out += ["", f"Each copy beyond the first cost {(four - one) / 3:.2f} CPU s ({(four - one) / 3 / lines * 100_000:.2f} per "
                    f"100k lines) against {one:.2f} s for the first, start-up and JIT included: cost grows "
                    + ("linearly or better" if four - one <= 3 * one * 1.1 else "faster than the lines") + " on identical content."]
    return out


# --- scoring against the corpus manifest --------------------------------------------------------------------
def load_manifest(path: str) -> dict:
    """expected.yaml without a YAML library: the file is written in one flat, known shape (see its header)."""
    manifest = {"ruleNames": {}, "findings": [], "safe": []}
    section, entry = None, None
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            section = line.rstrip(":")
            continue
        if section == "ruleNames":
            key, value = line.strip().split(":", 1)
            manifest["ruleNames"][key.strip()] = value.strip()
            continue
        stripped = line.strip()
        if stripped.startswith("- "):
            entry = {}
            manifest[section].append(entry)
            stripped = stripped[2:]
        key, value = stripped.split(":", 1)
        value = value.strip()
        if value.startswith('"'):
            value = json.loads(value)
        entry[key] = int(value) if key == "line" else value
    return manifest


def sarif_results(path: str, corpus: str):
    """(file relative to the corpus, line, rule id, rule name) of every result in a SARIF file."""
    data = json.load(open(path))
    root = os.path.realpath(corpus)
    for run in data.get("runs", []):
        names = {r["id"]: r.get("name", "") for r in run.get("tool", {}).get("driver", {}).get("rules", [])}
        for result in run.get("results", []):
            if result.get("suppressions"):
                continue
            loc = result["locations"][0]["physicalLocation"]
            uri = loc["artifactLocation"]["uri"]
            uri = urllib.parse.unquote(re.sub(r"^file://", "", uri))
            if uri.startswith("/"):
                uri = os.path.relpath(os.path.realpath(uri), root)
            uri = uri[2:] if uri.startswith("./") else uri
            rid = result.get("ruleId", "")
            yield uri, loc["region"]["startLine"], rid, names.get(rid, "")


def score(results, manifest) -> dict:
    """results: (file, line, classes). A result counts once, for the first thing it matches."""
    vuln = {(e["file"], e["line"], e["class"]): e for e in manifest["findings"]}
    safe = {(e["file"], e["line"], e["class"]): e for e in manifest["safe"]}
    found, near, flagged, other = set(), set(), set(), []
    for file, line, classes, label in results:
        hit = False
        for cls in classes:
            if (file, line, cls) in vuln:
                found.add((file, line, cls)); hit = True
            if (file, line, cls) in safe:
                flagged.add((file, line, cls)); hit = True
        if hit:
            continue
        close = [k for k in vuln if k[0] == file and k[2] in classes and abs(k[1] - line) <= NEAR]
        close_safe = [k for k in safe if k[0] == file and k[2] in classes and abs(k[1] - line) <= NEAR]
        if close and not close_safe:
            near.update(close)
        else:
            other.append(f"{label} at {file}:{line}")
    near -= found
    return {"found": found, "near": near, "flagged": flagged, "other": other}


def score_report(args) -> None:
    manifest = load_manifest(args.manifest)
    classes = sorted(manifest["ruleNames"])
    by_rule_name = collections.defaultdict(set)
    for cls, name in manifest["ruleNames"].items():
        by_rule_name[name].add(cls)

    devskim = [(f, l, {DEVSKIM_CLASSES[r]} if r in DEVSKIM_CLASSES else set(), r)
               for f, l, r, _ in sarif_results(args.devskim, args.corpus)]
    tools = {"DevSkim": score(devskim, manifest)}
    if args.sfi:
        sfi = [(f, l, by_rule_name.get(n, set()), r) for f, l, r, n in sarif_results(args.sfi, args.corpus)
               if r.startswith("SFI-CODE-")]
        tools["sfi"] = score(sfi, manifest)
    nv, ns = len(manifest["findings"]), len(manifest["safe"])

    def cell(tool, key, total=None):
        if tool not in tools:
            return "pending"
        n = len(tools[tool][key])
        return f"{n} ({n / total:.0%})" if total else f"{n}"

    out = [f"Run: `{args.command}`; DevSkim {args.devskim_version} (`devskim analyze`, default rules, confidence and "
           f"severities), sfi {args.sfi_version} (commit {args.commit}, `sfi scan CORPUS {args.scan_args} --format "
           f"sarif`). Corpus: `test/SecureFuture.Scanning.Code.Tests/Corpus` ({nv} vulnerable sinks and {ns} safe "
           f"look-alikes in {len(classes)} classes, listed in its `expected.yaml`). A result counts when it is on the "
           f"marked line and its rule maps to the entry's class (DevSkim: the table in `bench/code_bench.py`; sfi: "
           f"`ruleNames` in `expected.yaml`).", ""]
    if args.sfi_pending:
        out += [f"sfi column pending: {args.sfi_pending}", ""]
    out += ["| | DevSkim | sfi |", "|---|--:|--:|",
            f"| Vulnerable sinks found on their line (recall) | {cell('DevSkim', 'found', nv)} | {cell('sfi', 'found', nv)} |",
            f"| ... found within {NEAR} lines instead (same class) | {cell('DevSkim', 'near')} | {cell('sfi', 'near')} |",
            f"| Safe look-alikes flagged (false positives) | {cell('DevSkim', 'flagged', ns)} | {cell('sfi', 'flagged', ns)} |",
            f"| Other results (no marker of their class on or near the line) | {cell('DevSkim', 'other')} | {cell('sfi', 'other')} |",
            "", "| Class | Sinks | DevSkim found | sfi found | Look-alikes | DevSkim flagged | sfi flagged |",
            "|---|--:|--:|--:|--:|--:|--:|"]
    for cls in classes:
        v = sum(1 for e in manifest["findings"] if e["class"] == cls)
        s = sum(1 for e in manifest["safe"] if e["class"] == cls)
        row = [cls, str(v)]
        for key in ("found",):
            for tool in ("DevSkim", "sfi"):
                row.append(str(sum(1 for k in tools[tool][key] if k[2] == cls)) if tool in tools else "-")
        row.append(str(s))
        for tool in ("DevSkim", "sfi"):
            row.append(str(sum(1 for k in tools[tool]["flagged"] if k[2] == cls)) if tool in tools else "-")
        out.append("| " + " | ".join(row) + " |")
    for tool, result in tools.items():
        if result["other"]:
            shown = sorted(result["other"])
            out += ["", f"{tool}'s other results: " + "; ".join(shown[:20]) + (" ..." if len(shown) > 20 else "") + "."]
    print("\n".join(out))


def replace_section(args) -> None:
    start, end = f"<!-- bench:{args.name}:start -->", f"<!-- bench:{args.name}:end -->"
    block = f"{start}\n{sys.stdin.read().strip()}\n{end}"
    text = open(args.doc).read() if os.path.exists(args.doc) else "# Benchmarks\n"
    if start in text and end in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    tmp = args.doc + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.doc)


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("extract")
    p.add_argument("git_dir"); p.add_argument("dest")
    p.set_defaults(func=extract)
    p = sub.add_parser("subset")
    p.add_argument("tree"); p.add_argument("out"); p.add_argument("fraction", type=float)
    p.set_defaults(func=subset)
    p = sub.add_parser("replicate")
    p.add_argument("source"); p.add_argument("out"); p.add_argument("copies", type=int)
    p.set_defaults(func=replicate)
    p = sub.add_parser("throughput-report")
    for name in ("timings", "tree", "half", "quarter", "replicas", "replicated", "report", "sources", "command", "scan-args", "sfi-version", "commit", "runs"):
        p.add_argument("--" + name, required=True)
    p.set_defaults(func=throughput_report)
    p = sub.add_parser("score")
    for name in ("manifest", "corpus", "devskim", "command", "devskim-version", "sfi-version", "commit", "scan-args"):
        p.add_argument("--" + name, required=True)
    p.add_argument("--sfi")
    p.add_argument("--sfi-pending")
    p.set_defaults(func=score_report)
    p = sub.add_parser("replace-section")
    p.add_argument("--doc", required=True); p.add_argument("--name", required=True)
    p.set_defaults(func=replace_section)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
