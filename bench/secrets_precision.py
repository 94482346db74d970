#!/usr/bin/env python3
"""Summarises `sfi scan --format json` reports of real codebases for bench/secrets-precision.sh.

  secrets_precision.py --sfi-version V --commit C --command CMD -- NAME HEAD MISSING TREE REPORT SECONDS [...]
      prints the markdown section for docs/benchmarks.md
  secrets_precision.py --replace-section DOC < section.md
      replaces the text between the bench:secrets-precision markers in DOC (appends it when they are absent)
"""
import argparse
import collections
import datetime
import json
import os
import platform
import re
import subprocess
import sys

START = "<!-- bench:secrets-precision:start -->"
END = "<!-- bench:secrets-precision:end -->"
SEVERITIES = ["critical", "high", "medium", "low", "note"]
# A directory with one of these names (case-insensitive), or whose name ends in "tests", holds samples or tests.
# "host(s)": the development host apps that run a library for its own developers (IdentityServer4's
# src/*/host/, an ASP.NET Core web app with test keys in host/Keys/): they are sample apps, not the library shipped.
SAMPLE_DIRS = {"test", "tests", "sample", "samples", "sandbox", "example", "examples", "demo", "demos", "host", "hosts",
               "testdata", "fixtures"}


def is_sample_or_test(path: str) -> bool:
    parts = [p.lower() for p in path.split("/")[:-1]]
    return any(p in SAMPLE_DIRS or p.endswith("tests") for p in parts)


def source_line(tree: str, path: str, line: int) -> str:
    try:
        with open(os.path.join(tree, path), encoding="utf-8", errors="replace") as f:
            for i, text in enumerate(f, 1):
                if i == line:
                    return text.strip()
    except OSError:
        pass
    return ""


def masked_line(tree: str, finding: dict) -> str:
    """The finding's source line with the secret cut to sfi's own evidence prefix: the report never carries a secret."""
    if "line" not in finding:
        return "(binary file: no line)"  # SFI-SEC-307 key files: the finding names the file only
    text = source_line(tree, finding["path"], finding["line"])
    evidence = finding.get("evidence") or {}
    prefix, length = evidence.get("prefix", ""), evidence.get("length", 0)
    start, end = finding["column"] - 1, (finding["endColumn"] - 1 if finding.get("endLine") == finding["line"] else len(text))
    at = text.rfind(prefix, start, end) if prefix else -1
    if at >= 0 and length > len(prefix):
        text = text[:at + len(prefix)] + "…" + text[at + length:]
    else:
        text = text[:start] + "…(masked)"
    text = text.strip()
    return (text[:110] + "…" if len(text) > 110 else text).replace("|", "\\|").replace("`", "'")


def machine() -> str:
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0) / 1024 / 1024
    sdk = subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores, {mem:.1f} GiB RAM, {platform.system()} {platform.release()}; .NET SDK {sdk}"


def summarise(args: argparse.Namespace) -> None:
    rows = args.reports
    if len(rows) % 6:
        sys.exit("secrets_precision.py: reports come in groups of six")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["### After: the latest run", "",
           f"Run {now} on {machine()}. {args.sfi_version} (commit {args.commit}).", "",
           f"Command: `{args.command}`", "",
           "Library source = every path outside a directory named test(s), sample(s), sandbox, example(s), demo(s), "
           "host(s) (development host apps), testdata or fixtures (or ending in `Tests`); it includes build tooling. "
           "Target: at most 2 high-or-critical findings in library source.", "",
           "| Repository (HEAD) | Files scanned | Scan (s) | Where | " + " | ".join(SEVERITIES) + " | High or above |",
           "|---|---:|---:|---|" + "---:|" * (len(SEVERITIES) + 1)]
    listings = []
    for i in range(0, len(rows), 6):
        name, head, missing, tree, report, seconds = rows[i:i + 6]
        data = json.load(open(report))
        files = data.get("summary", {}).get("filesScanned", "?")
        groups = {"library source": [], "samples and tests": []}
        for f in data["findings"]:
            groups["samples and tests" if is_sample_or_test(f["path"]) else "library source"].append(f)
        for where, findings in groups.items():
            counts = collections.Counter(f["severity"] for f in findings)
            high = counts["critical"] + counts["high"]
            label = f"{name} ({head[:10]}{', ' + missing + ' missing blobs' if missing != '0' else ''})"
            out.append(f"| {label if where == 'library source' else ''} | {files if where == 'library source' else ''} "
                       f"| {seconds if where == 'library source' else ''} | {where} | "
                       + " | ".join(str(counts[s]) for s in SEVERITIES) + f" | **{high}** |")
        high_findings = [f for f in data["findings"] if f["severity"] in ("critical", "high")]
        listings.append(f"High-or-critical findings in {name} ({len(high_findings)}):")
        listings.append("")
        listings.append("| Severity | Rule | Where | Location | Line (long runs cut) |")
        listings.append("|---|---|---|---|---|")
        for f in sorted(high_findings, key=lambda f: (is_sample_or_test(f["path"]), f["path"], f.get("line", 0))):
            where = "samples/tests" if is_sample_or_test(f["path"]) else "library"
            listings.append(f"| {f['severity']} | {f['ruleId']} | {where} | `{f['path']}{':' + str(f['line']) if 'line' in f else ''}` "
                            f"| `{masked_line(tree, f)}` |")
        listings.append("")
    out += ["", "<details><summary>Every high-or-critical finding</summary>", ""] + listings + ["</details>"]
    print("\n".join(out))


def replace_section(doc: str) -> None:
    section = sys.stdin.read().strip()
    block = f"{START}\n{section}\n{END}"
    text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n"
    if START in text and END in text:
        text = text[:text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    tmp = doc + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, doc)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sfi-version")
    parser.add_argument("--commit")
    parser.add_argument("--command")
    parser.add_argument("--replace-section")
    parser.add_argument("reports", nargs="*")
    args = parser.parse_args()
    if args.replace_section:
        replace_section(args.replace_section)
    else:
        summarise(args)


if __name__ == "__main__":
    main()
