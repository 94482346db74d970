#!/usr/bin/env python3
"""Helper for bench/scan-vs-ripgrep.sh: builds the corpus, converts the detector patterns to ripgrep's
syntax, and turns the timings into the Markdown section of docs/benchmarks.md.

Standard library only. Every subcommand is driven by the shell script; run it directly only to debug.
"""
from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

MIB = 1024 * 1024
MAX_FILE = 10 * MIB          # sfi's default --max-file-size, and rg --max-filesize 10M
BINARY_PROBE = 8000          # sfi (like git) calls a file binary when a NUL is in its first 8,000 bytes


# --------------------------------------------------------------------------------------------- corpus

def corpus_sources() -> list[str]:
    """Real text trees present on a Debian machine, in the order they are used."""
    sources = ["/usr/include"]
    sources += ["/usr/share/doc"]
    sources += sorted(glob.glob("/usr/lib/python3*/"))
    sources += sorted(glob.glob("/usr/share/perl*/"))
    # The .NET SDK's reference-assembly XML documentation: wherever `dotnet --list-sdks` says it lives.
    for root in dotnet_roots():
        sources += [os.path.join(root, "packs")]
    return [s.rstrip("/") for s in sources if os.path.isdir(s)]


def dotnet_roots() -> list[str]:
    try:
        out = subprocess.run(["dotnet", "--list-sdks"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return []
    roots = []
    for line in out.splitlines():
        m = re.search(r"\[(.+)\]\s*$", line)
        if m:
            root = os.path.dirname(m.group(1).rstrip("/"))   # .../dotnet/sdk -> .../dotnet
            if root not in roots:
                roots.append(root)
    return roots


def is_text(path: str) -> bool:
    with open(path, "rb") as f:
        return b"\0" not in f.read(BINARY_PROBE)


def build_corpus(dest: str, target_bytes: int) -> None:
    """Copies regular text files (no symlinks, 1 byte..10 MiB, no NUL in the first 8,000 bytes) from the
    source trees into dest, keeping their paths. /usr/include always goes in whole; later trees only until
    the target is reached. Writes dest + '.manifest.json' last, so an interrupted build is redone."""
    tmp = dest + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    total = files = 0
    used = []
    for source in corpus_sources():
        if total >= target_bytes and source != "/usr/include":
            break
        source_bytes = 0
        for directory, dirnames, filenames in os.walk(source, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames):
                if total >= target_bytes and source != "/usr/include":
                    break
                src = os.path.join(directory, name)
                try:
                    if os.path.islink(src) or not os.path.isfile(src):
                        continue
                    size = os.path.getsize(src)
                    if size == 0 or size > MAX_FILE:
                        continue
                    if source.endswith("/packs") and not name.endswith(".xml"):
                        continue
                    if not is_text(src):
                        continue
                except OSError:
                    continue
                dst = os.path.join(tmp, src.lstrip("/"))
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(src, dst)
                total += size
                source_bytes += size
                files += 1
        if source_bytes:
            used.append({"source": source, "bytes": source_bytes})
    if total < target_bytes:
        sys.exit(f"corpus: only {total / MIB:.1f} MiB of text found on this machine; need {target_bytes / MIB:.0f} MiB")
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)
    with open(dest + ".manifest.json", "w") as f:
        json.dump({"bytes": total, "files": files, "sources": used,
                   "built": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}, f, indent=2)


def measure_tree(root: str) -> tuple[int, int]:
    total = files = 0
    for directory, _, filenames in os.walk(root, followlinks=False):
        for name in filenames:
            path = os.path.join(directory, name)
            if not os.path.islink(path) and os.path.isfile(path):
                total += os.path.getsize(path)
                files += 1
    return total, files


# ------------------------------------------------------------------------------------ pattern conversion

# Characters regex-syntax 0.6 (ripgrep 13) accepts after a backslash; any other punctuation escape is an
# error there ("unrecognized escape sequence"), so e.g. .NET's \/ \" \= \: become the plain character.
RUST_META = set("\\.+*?()|[]{}^$#&-~")
QUANTIFIER = re.compile(r"\{\d+(,\d*)?\}")
NEEDS_PCRE = "needs-pcre2"


class Conversion:
    def __init__(self) -> None:
        self.pcre_reasons: list[str] = []
        self.notes: list[str] = []


def convert(pattern: str, engine: str, rule_index: int, conv: Conversion) -> str:
    """Rewrites a .NET pattern for ripgrep's default engine ('rust') or for rg -P ('pcre2').

    - named groups become non-capturing (counting needs no captures, and every detector names a group
      'secret', which a combined pattern may not repeat); for PCRE2 a pattern with \\k<name> back-references
      keeps its groups, renamed unique to the rule;
    - \\A, \\Z, \\z become ^ and $: sfi runs a pattern on the lines around a keyword, so its anchors are
      line anchors, which is what ^ and $ are in ripgrep (multi-line mode is on by default there);
    - (rust) punctuation escapes regex-syntax 0.6 rejects become the literal character; a '[' inside a
      class and the class set-operators && -- ~~ are escaped; '{' that does not open a quantifier
      (a literal in .NET) is escaped;
    - .NET's inline 'n' flag (explicit capture) is dropped;
    - (rust) look-around, back-references, atomic groups and conditionals are recorded as needing PCRE2.
    """
    keep_names = engine == "pcre2" and re.search(r"\\k<|\\k'", pattern) is not None
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_start = -1

    def suffix(name: str) -> str:
        return f"{name}_r{rule_index}"

    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nx = pattern[i + 1]
            if nx.isalnum():
                if not in_class and nx in "AG":
                    if nx == "G":
                        conv.pcre_reasons.append("\\G anchor")
                        out.append("\\G")
                    else:
                        out.append("^")
                    i += 2
                    continue
                if not in_class and nx in "Zz":
                    out.append("$")
                    i += 2
                    continue
                if not in_class and nx == "k":
                    m = re.match(r"\\k(<([^>]+)>|'([^']+)')", pattern[i:])
                    conv.pcre_reasons.append("back-reference")
                    if m:
                        name = m.group(2) or m.group(3)
                        out.append(f"\\k<{suffix(name)}>" if keep_names else m.group(0))
                        i += len(m.group(0))
                        continue
                if not in_class and nx in "123456789":
                    conv.pcre_reasons.append("numbered back-reference")
                if nx in "pP" and i + 2 < n and pattern[i + 2] == "{":
                    end = pattern.index("}", i)
                    out.append(pattern[i:end + 1])
                    i = end + 1
                    continue
                if nx == "n" and engine == "rust" and not in_class:
                    # ripgrep searches line by line (no -U): a literal line break is a compile error there.
                    # '$' keeps the pattern compiling and, like the line break, ends what can match on a line.
                    out.append("$")
                    i += 2
                    continue
                if nx == "e":
                    out.append("\\x1B")
                    i += 2
                    continue
                out.append(pattern[i:i + 2])
                i += 2
                continue
            # punctuation or whitespace escape
            if engine == "rust" and nx not in RUST_META:
                out.append("\\x20" if nx == " " else nx)
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue

        if in_class:
            if c == "]" and i != class_start:
                in_class = False
                out.append(c)
            elif c == "[":
                if i > 0 and pattern[i - 1] == "-":
                    conv.pcre_reasons.append(".NET character-class subtraction")
                out.append("\\[" if engine == "rust" else c)
            elif engine == "rust" and c in "&-~" and i + 1 < n and pattern[i + 1] == c:
                out.append("\\" + c)
            else:
                out.append(c)
            i += 1
            continue

        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            class_start = i          # a ']' right here is a literal
            continue

        if c == "(" and pattern.startswith("(?", i):
            rest = pattern[i + 2:]
            m = re.match(r"(?:<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)'|P<([A-Za-z_]\w*)>)", rest)
            if m:
                name = m.group(1) or m.group(2) or m.group(3)
                out.append(f"(?P<{suffix(name)}>" if keep_names else "(?:")
                i += 2 + len(m.group(0))
                continue
            if rest.startswith(("<=", "<!", "=", "!")):
                conv.pcre_reasons.append("look-around")
            elif rest.startswith(">"):
                conv.pcre_reasons.append("atomic group")
            elif rest.startswith("("):
                conv.pcre_reasons.append("conditional")
            elif rest.startswith("#"):
                end = pattern.index(")", i)
                i = end + 1
                continue
            else:
                fm = re.match(r"([imnsx]*)(-[imnsx]*)?([:)])", rest)
                if fm:
                    on = fm.group(1).replace("n", "")
                    off = (fm.group(2) or "").replace("n", "")
                    flags = on + (off if off != "-" else "")
                    if flags == "" and fm.group(3) == ")":
                        i += 2 + len(fm.group(0))          # a bare (?n) : nothing left
                        continue
                    out.append("(?" + flags + fm.group(3))
                    i += 2 + len(fm.group(0))
                    continue
            out.append("(?")
            i += 2
            continue

        if c == "{" and not QUANTIFIER.match(pattern, i):
            out.append("\\{")
            i += 1
            continue
        if c == "}":
            # A '}' that closes a quantifier was consumed with it below; any other is a literal.
            out.append("\\}")
            i += 1
            continue
        if c == "{":
            m = QUANTIFIER.match(pattern, i)
            out.append(m.group(0))
            i += len(m.group(0))
            continue

        out.append(c)
        i += 1
    result = "".join(out)
    if keep_names:
        # .NET lets a name repeat (in alternative branches); PCRE2 needs the J (duplicate names) flag for that.
        result = "(?J)" + result
    return result


def top_level_items(pattern: str) -> list[str] | None:
    """Splits a pattern into its top-level items (atom plus quantifier); None when it has a top-level '|'."""
    items: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        start, c = i, pattern[i]
        if c == "\\":
            if i + 2 < n and pattern[i + 1] in "pPk" and pattern[i + 2] in "{<'":
                close = {"{": "}", "<": ">", "'": "'"}[pattern[i + 2]]
                i = pattern.index(close, i + 3) + 1
            else:
                i += 2
        elif c in "[(":
            depth, in_class = 0, False
            while i < n:
                ch = pattern[i]
                if ch == "\\":
                    i += 2
                    continue
                if in_class:
                    if ch == "]" and pattern[i - 1] not in "[^" :
                        in_class = False
                        if depth == 0:
                            i += 1
                            break
                elif ch == "[":
                    in_class = True
                elif ch == "(":
                    depth += 1
                elif ch == ")":
                    depth -= 1
                    if depth == 0:
                        i += 1
                        break
                i += 1
        elif c == "|":
            return None
        else:
            i += 1
        if i < n and pattern[i] in "*+?":
            i += 1
        elif i < n and pattern[i] == "{" and QUANTIFIER.match(pattern, i):
            i += len(QUANTIFIER.match(pattern, i).group(0))
        if i < n and pattern[i] == "?":
            i += 1
        items.append(pattern[start:i])
    return items


def single_line_part(pattern: str) -> str:
    """The top-level prefix of a multi-line pattern before its first item that can match a line break."""
    items = top_level_items(pattern)
    if not items:
        return pattern
    prefix = []
    for item in items:
        if re.search(r"\\[snrWD]", item) or ("[^" in item and "\\n" not in item):
            break
        prefix.append(item)
    return "".join(prefix) if prefix else pattern


BIG_BOUND = re.compile(r"\{(\d+),(\d+)\}")


def relax_bounds(pattern: str, limit: int = 1000) -> str:
    """{m,n} with n >= limit becomes {m,}: ripgrep's engine unrolls counted repetitions, and a few of these blow
    its default size limits and its speed; as a superset it only adds matches longer than n."""
    return BIG_BOUND.sub(lambda m: "{%s,}" % m.group(1) if int(m.group(2)) >= limit else m.group(0), pattern)


def rg_compiles(rg: str, pattern: str, pcre2: bool, workdir: str, extra: list[str] | None = None) -> tuple[bool, str]:
    one = os.path.join(workdir, "one-pattern.txt")
    empty = os.path.join(workdir, "empty.txt")
    with open(one, "w") as f:
        f.write(pattern + "\n")
    open(empty, "w").close()
    cmd = [rg, "--no-config"] + (["-P"] if pcre2 else []) + (extra or []) + ["-f", one, empty]
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode in (0, 1), r.stderr.strip()


def wrap(pattern: str, ignore_case: bool) -> str:
    return ("(?i:" if ignore_case else "(?:") + pattern + ")"


def cmd_patterns(a: argparse.Namespace) -> None:
    with open(a.rules) as f:
        rules = json.load(f)
    os.makedirs(a.workdir, exist_ok=True)
    default_set: list[str] = []
    pcre_set: list[str] = []
    report = []
    for index, rule in enumerate(rules):
        if "pattern" not in rule:
            continue  # a detector of binary content (SFI-SEC-307): nothing for ripgrep to search
        pattern = rule["pattern"]
        entry = {"id": rule["id"], "ignoreCase": bool(rule.get("ignoreCase")),
                 "extraLines": int(rule.get("extraLines") or 0), "pathScoped": bool(rule.get("paths"))}
        if "\n" in pattern or "\r" in pattern:
            # (?x) patterns written over several lines: -f takes one pattern per line.
            pattern = re.sub(r"\s*\n\s*", " ", pattern) if "(?x" in pattern else pattern.replace("\n", "\\n")
        if entry["extraLines"] > 0:
            # ripgrep runs line by line: give it the part of the pattern on the keyword's line.
            line = single_line_part(pattern)
            if line != pattern:
                entry["singleLinePart"] = True
                pattern = line
        relaxed = relax_bounds(pattern)
        if relaxed != pattern:
            entry["relaxedBounds"] = True
            pattern = relaxed
        conv = Conversion()
        rust = convert(pattern, "rust", index, conv)
        entry["rustReasons"] = sorted(set(conv.pcre_reasons))
        ok, err = (False, "; ".join(entry["rustReasons"])) if conv.pcre_reasons else rg_compiles(a.rg, wrap(rust, entry["ignoreCase"]), False, a.workdir)
        if ".NET character-class subtraction" in entry["rustReasons"]:
            # Neither engine has it (PCRE2 would silently read it as a different class).
            entry["engine"] = "none"
            entry["pcre2Error"] = ".NET character-class subtraction"
        elif ok:
            entry["engine"] = "default"
            entry["converted"] = rust
            default_set.append(wrap(rust, entry["ignoreCase"]))
        else:
            entry["rustError"] = err.splitlines()[-1] if err else ""
            pconv = Conversion()
            pcre = convert(pattern, "pcre2", index, pconv)
            pok, perr = rg_compiles(a.rg, wrap(pcre, entry["ignoreCase"]), True, a.workdir)
            if pok:
                entry["engine"] = "pcre2"
                entry["converted"] = pcre
                pcre_set.append(wrap(pcre, entry["ignoreCase"]))
            else:
                entry["engine"] = "none"
                entry["pcre2Error"] = perr.splitlines()[-1] if perr else ""
        report.append(entry)

    # One file per pattern too, for the one-pattern-per-invocation reference run.
    each = os.path.join(a.workdir, "rg-each")
    shutil.rmtree(each, ignore_errors=True)
    os.makedirs(each)
    for k, e in enumerate(x for x in report if x["engine"] != "none"):
        with open(os.path.join(each, f"{k:03d}.{e['engine']}.txt"), "w") as f:
            f.write(wrap(e["converted"], e["ignoreCase"]) + "\n")

    extra: list[str] = []
    if default_set:
        combined = "\n".join(default_set)
        with open(os.path.join(a.workdir, "rg-default.txt"), "w") as f:
            f.write(combined + "\n")
        ok, err = rg_compiles(a.rg, combined, False, a.workdir)
        if not ok and "size limit" in err:
            extra = ["--regex-size-limit", "1G", "--dfa-size-limit", "1G"]
            ok, err = rg_compiles(a.rg, combined, False, a.workdir, extra)
        if not ok:
            sys.exit(f"patterns: the combined default-engine set does not compile in ripgrep:\n{err}")
    if pcre_set:
        with open(os.path.join(a.workdir, "rg-pcre2.txt"), "w") as f:
            f.write("\n".join(pcre_set) + "\n")
        ok, err = rg_compiles(a.rg, "\n".join(pcre_set), True, a.workdir)
        if not ok:
            sys.exit(f"patterns: the combined PCRE2 set does not compile in ripgrep:\n{err}")
    summary = {"rules": len(rules), "default": len(default_set), "pcre2": len(pcre_set),
               "none": [e["id"] for e in report if e["engine"] == "none"],
               "pcre2Rules": [{"id": e["id"], "why": e.get("rustError", "")} for e in report if e["engine"] == "pcre2"],
               "multiline": [e["id"] for e in report if e["extraLines"] > 0],
               "singleLinePart": [{"id": e["id"], "rg": e.get("converted", "")} for e in report if e.get("singleLinePart")],
               "relaxedBounds": [{"id": e["id"], "rg": e.get("converted", "")} for e in report if e.get("relaxedBounds")],
               "pathScoped": [e["id"] for e in report if e["pathScoped"]],
               "defaultExtraFlags": extra, "rules_detail": report}
    with open(os.path.join(a.workdir, "rg-patterns.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"patterns: {len(rules)} detectors -> {len(default_set)} for ripgrep's default engine, "
          f"{len(pcre_set)} for PCRE2 (-P), {len(summary['none'])} unconvertible"
          + (f" ({', '.join(summary['none'])})" if summary["none"] else ""), file=sys.stderr)
    print(" ".join(extra))


# ---------------------------------------------------------------------------------------------- report

# A dozen common secret regexes, as a ripgrep user would write them: what a regex-only secret search costs.
COMMON_SECRETS = [
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",                          # AWS access key ID
    r"\bgh[pousr]_[A-Za-z0-9]{36}\b",                          # GitHub tokens
    r"github_pat_[A-Za-z0-9_]{82}",                             # GitHub fine-grained PAT
    r"xox[baprs]-[0-9A-Za-z-]{10,48}",                          # Slack
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----",                      # PEM private keys
    r"\b[sr]k_live_[0-9A-Za-z]{24,99}\b",                       # Stripe
    r"AIza[0-9A-Za-z_-]{35}",                                   # Google API key
    r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",  # JSON Web Token
    r"""(?i)(?:password|passwd|pwd)\s*[:=]\s*["']?[^\s"']{6,}""",    # password assignment
    r"AccountKey=[A-Za-z0-9+/]{86}==",                          # Azure storage key
    r"\bnpm_[A-Za-z0-9]{36}\b",                                 # npm
    r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",                  # SendGrid
]


def cmd_keywords(a: argparse.Namespace) -> None:
    with open(a.rules) as f:
        rules = json.load(f)
    keywords = sorted({k for r in rules for k in (r.get("keywords") or [])})
    with open(a.out, "w") as f:
        f.write("\n".join(keywords) + "\n")


def cmd_common(a: argparse.Namespace) -> None:
    with open(a.out, "w") as f:
        f.write("\n".join(COMMON_SECRETS) + "\n")


def read_runs(path: str) -> dict[str, list[tuple[float, float]]]:
    runs: dict[str, list[tuple[float, float]]] = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 4 and parts[1] != "warmup":
                runs.setdefault(parts[0], []).append((float(parts[2]), float(parts[3]) / 1024))
    return runs


def read_cpu(path: str) -> dict[str, list[float]]:
    """CPU seconds (user + system) per timed run, for timings files that have them (a fifth column)."""
    cpu: dict[str, list[float]] = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[1] != "warmup":
                cpu.setdefault(parts[0], []).append(float(parts[4]))
    return cpu


def sfi_counts(path: str) -> tuple[int, int, int]:
    with open(path) as f:
        report = json.load(f)
    s = report.get("summary", {})
    return len(report.get("findings", [])), int(s.get("filesScanned", 0)), int(s.get("bytesScanned", 0))


def rg_counts(paths: list[str]) -> tuple[int, int, int]:
    matches = files = searched = 0
    for path in paths:
        if not os.path.exists(path):
            continue
        with open(path, errors="replace") as f:
            text = f.read()
        matches += sum(int(x) for x in re.findall(r"^(\d+) matches$", text, re.M))
        m = re.search(r"^(\d+) files searched$", text, re.M)
        files = max(files, int(m.group(1)) if m else 0)
        m = re.search(r"^(\d+) bytes searched$", text, re.M)
        searched = max(searched, int(m.group(1)) if m else 0)
    return matches, files, searched


def machine() -> dict[str, str]:
    def run(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""
    model = next((l.split(":", 1)[1].strip() for l in run("lscpu").splitlines() if l.startswith("Model name")), "unknown CPU")
    mem_kb = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    os_name = next((l.split("=", 1)[1].strip().strip('"') for l in open("/etc/os-release") if l.startswith("PRETTY_NAME=")), "Linux")
    return {"nproc": run("nproc"), "model": model, "mem": f"{mem_kb / MIB:.1f} GiB", "os": os_name,
            "kernel": run("uname", "-r")}


# The timed tools in the order of the tables: sfi as ./sfi runs it, then the AOT build when --aot gave one.
TOOLS = ["sfi", "sfi-aot", "rg-keywords", "rg-keywords-i", "rg-common", "rg", "rg-each"]


def fmt(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}"


def pattern_notes(pat: dict) -> list[str]:
    """How the detector patterns were given to ripgrep (only with --all-patterns)."""
    notes = []
    notes.append("The patterns come from `sfi scan --list-rules --format json`. Each becomes one line of a `-f` file, wrapped in "
                 "`(?:…)`, or `(?i:…)` for case-insensitive detectors; named groups become non-capturing; `\\A`/`\\Z`/`\\z` "
                 "become `^`/`$`; .NET punctuation escapes that ripgrep 13's parser rejects become the plain character.")
    if pat.get("pcre2"):
        why = "; ".join(f"{p['id']} ({p['why']})" for p in pat["pcre2Rules"])
        notes.append(f"Detectors ripgrep's default engine cannot compile run with `-P` (PCRE2, JIT) in a second invocation: {why}.")
    if pat.get("none"):
        notes.append(f"Not given to ripgrep (compile in neither engine): {', '.join(pat['none'])}.")
    if pat.get("multiline"):
        notes.append("Multi-line detectors get the part of their pattern on the keyword's line (ripgrep runs without `-U`): "
                     + ", ".join(pat["multiline"]) + ".")
    if pat.get("relaxedBounds"):
        notes.append("Counted repetitions with an upper bound of 1,000 or more became open-ended for ripgrep: "
                     + ", ".join(x["id"] for x in pat["relaxedBounds"]) + ".")
    notes.append("Why the all-in-one run is so slow: ripgrep searches first for a literal every match must contain; the union "
                 "of hundreds of patterns has none, so its lazy DFA runs over every byte and thrashes its cache. That is "
                 "ripgrep's pathological case, not a measure of a secret scanner; one run per pattern is the sum of the "
                 "single-pattern runs, each reading the whole (cached) corpus again.")
    return notes


def cmd_report(a: argparse.Namespace) -> None:
    runs = read_runs(a.timings)
    cpu = read_cpu(a.timings)
    med = statistics.median
    corpus_mib = a.corpus_bytes / MIB
    sfi = runs["sfi"]
    floor = runs["rg-keywords"]
    sfi_wall, floor_wall = med([w for w, _ in sfi]), med([w for w, _ in floor])
    sfi_rss_max = max(m for _, m in sfi)
    ratio = sfi_wall / floor_wall
    paired = [s[0] / r[0] for s, r in zip(sfi, floor)]
    loads: dict[str, list[float]] = {}
    if a.load and os.path.exists(a.load):
        for line in open(a.load):
            tool, label, load = line.split()
            if label != "warmup":
                loads.setdefault(tool, []).append(float(load))
    all_loads = [x for xs in loads.values() for x in xs]
    with open(a.rules) as f:
        rule_count = len(json.load(f))
    keyword_count = sum(1 for line in open(a.keywords) if line.strip())
    findings, sfi_files, sfi_bytes = sfi_counts(a.sfi_report)
    kw_lines = sum(int(x) for x in re.findall(r":(\d+)$", open(a.kw_out, errors="replace").read(), re.M)) if os.path.exists(a.kw_out) else 0
    scale = {}
    if a.scaling:
        for line in open(a.scaling):
            label, wall, kb = line.split()
            scale[label] = (float(wall), float(kb) / 1024)
    mc = machine()
    labels = {
        "sfi": f"`sfi scan`, the ReadyToRun build (no tiered compilation; what `./sfi scan` runs until the native build is made, or with `SFI_AOT=0`; all analyzers; {rule_count} secret detectors)",
        "sfi-aot": "`sfi scan`, the native AOT build (`--aot`; what `./sfi scan` runs by default once it is made)",
        "rg-keywords": f"ripgrep, the {keyword_count:,} detector keywords as fixed strings (`-F -c`): **the floor**",
        "rg-keywords-i": "ripgrep, the same keywords case-insensitively (`-F -i -c`; sfi's keyword search is case-insensitive)",
        "rg-common": f"ripgrep, {len(COMMON_SECRETS)} common secret regexes in one run (`-c`)",
        "rg": "ripgrep, every detector pattern in one run (pathological, footnote)",
        "rg-each": "ripgrep, one run per detector pattern in turn",
    }
    m = []
    m.append("## `sfi scan` vs the keyword floor (ripgrep)")
    m.append("")
    m.append(f"Run {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} on {mc['model']}, "
             f"{mc['nproc']} cores (`nproc`), {mc['mem']} RAM, {mc['os']} (kernel {mc['kernel']}). "
             f"sfi {a.sfi_version} (commit {a.commit}), .NET SDK {a.dotnet_version}; {a.rg_version}.")
    if all_loads:
        m.append(f"The machine was shared: the 1-minute load average was {min(all_loads):.0f}–{max(all_loads):.0f} on "
                 f"{mc['nproc']} cores during the timed runs (median {med(all_loads):.0f}); every tool was slowed by it, "
                 "which is why the ratios are taken within the same alternated runs.")
    m.append("")
    m.append(f"Command: `{a.command}` ({a.runs} timed runs per tool, alternated tool by tool, after one warm-up run each; "
             "every tool uses all cores).")
    m.append("")
    sources = ", ".join(f"`{s['source']}` ({s['bytes'] / MIB:.1f} MiB)" for s in a.sources)
    m.append(f"Corpus: {a.corpus_files:,} text files, {corpus_mib:.1f} MiB, copied from {sources} "
             "(regular files only, no symbolic links, nothing over 10 MiB, nothing with a NUL byte in its first 8,000 bytes).")
    m.append("")
    r2r_line = (f"`sfi scan` takes {ratio:.1f}x the time of the keyword floor (median wall {fmt(sfi_wall)} s against "
                f"{fmt(floor_wall)} s; per alternated pair: median {med(paired):.1f}x, range {min(paired):.1f}x–{max(paired):.1f}x)")
    r2r_cpu = ""
    if "sfi" in cpu and "rg-keywords" in cpu:
        cpu_ratio = med(cpu["sfi"]) / med(cpu["rg-keywords"])
        paired_cpu = [s_ / r_ for s_, r_ in zip(cpu["sfi"], cpu["rg-keywords"])]
        r2r_cpu = (f"; in CPU time (user + system, all threads) {fmt(med(cpu['sfi']))} s against {fmt(med(cpu['rg-keywords']))} s, "
                   f"{cpu_ratio:.1f}x (per alternated pair {min(paired_cpu):.1f}x–{max(paired_cpu):.1f}x)")
    if "sfi-aot" in runs:
        # ./sfi scan runs the native build by default once it is made (docs/install.md, "Native AOT"): that is the headline.
        aot_wall = med([w for w, _ in runs["sfi-aot"]])
        aot_ratio = aot_wall / floor_wall
        aot_paired = [w / r_ for (w, _), (r_, _) in zip(runs["sfi-aot"], runs["rg-keywords"])]
        aot_line = (f"**Headline: `sfi scan`, the native build `./sfi scan` runs by default once it is made, takes "
                    f"{aot_ratio:.1f}x the time of the keyword floor** (`--aot`, {a.aot_version}; median wall {fmt(aot_wall)} s "
                    f"against {fmt(floor_wall)} s; per alternated pair: median {med(aot_paired):.1f}x, range "
                    f"{min(aot_paired):.1f}x–{max(aot_paired):.1f}x)")
        if "sfi-aot" in cpu and "rg-keywords" in cpu:
            aot_cpu = med(cpu["sfi-aot"])
            aot_line += f"; **{aot_cpu / med(cpu['rg-keywords']):.1f}x** by CPU ({fmt(aot_cpu)} s against {fmt(med(cpu['rg-keywords']))} s)"
        aot_findings = sfi_counts(a.aot_report)[0] if a.aot_report and os.path.exists(a.aot_report) else None
        same = "the same number of findings as the ReadyToRun build" if aot_findings == sfi_counts(a.sfi_report)[0] else \
            f"**{aot_findings} findings against the ReadyToRun build's {sfi_counts(a.sfi_report)[0]}**"
        m.append(aot_line + f"; {same}. Target: within 2x — **{'met' if aot_ratio <= 2.0 else 'NOT met'}**.")
        m.append(f"Until the native build is made (its first build runs in the background), with `SFI_AOT=0`, or where it cannot "
                 f"be built (no clang or zlib, not x86-64), `./sfi scan` runs the ReadyToRun build: {r2r_line}{r2r_cpu}; "
                 f"within 2x: **{'yes' if ratio <= 2.0 else 'no'}**.")
    else:
        m.append(f"**Headline (the ReadyToRun build; the native build `./sfi scan` runs by default once made was not timed: "
                 f"pass `--aot`): {r2r_line}**{r2r_cpu}. Target: within 2x — **{'met' if ratio <= 2.0 else 'NOT met'}**.")
    m.append("")
    m.append("The floor is what any keyword-prefiltered scanner must at least pay: reading every file and finding every "
             "detector keyword, with no regular expression, validation or report. sfi also decodes the text, runs the detectors' "
             "patterns around each keyword hit, decodes base64/hex/percent-encoded values, counts lines of code and writes a report.")
    m.append("")
    has_cpu = "sfi" in cpu and len(cpu["sfi"]) == len(sfi)
    sfi_cpu = med(cpu["sfi"]) if has_cpu else 0.0
    m.append("| Tool | Median wall (s) | MB/s | Median peak RSS (MB) | sfi / this | Median CPU, user + system (s) | sfi / this, CPU | Runs |")
    m.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for tool in TOOLS:
        if tool not in runs:
            continue
        xs = runs[tool]
        wall, rss = med([w for w, _ in xs]), med([m_ for _, m_ in xs])
        tool_cpu = med(cpu[tool]) if has_cpu and tool in cpu else None
        cpu_cells = (f"{fmt(tool_cpu)} | {'–' if tool == 'sfi' else f'{sfi_cpu / tool_cpu:.2f}x'}"
                     if tool_cpu else "– | –")
        m.append(f"| {labels[tool]} | {fmt(wall)} | {fmt(corpus_mib / wall, 1)} | {fmt(rss, 1)} | "
                 f"{'–' if tool == 'sfi' else f'{sfi_wall / wall:.2f}x'} | {cpu_cells} | {len(xs)} |")
    m.append("")
    m.append("MB = 2^20 bytes; MB/s = corpus size / median wall time; peak RSS is `/usr/bin/time`'s maximum resident set size; "
             "CPU is its user + system time over all threads, the steadier figure on a loaded machine (wall time follows the load).")
    m.append("")
    mem_ok = sfi_rss_max < 300 and all(v[1] < 300 for v in scale.values())
    scale_text = ""
    one, two = scale.get("1x"), scale.get("2x")
    if one and two:
        scale_text = (f" On the corpus ({corpus_mib:.0f} MiB) sfi peaked at {fmt(one[1], 1)} MB; on a tree twice the size "
                      f"(two hard-linked copies) at {fmt(two[1], 1)} MB ({(two[1] / one[1] - 1) * 100:+.0f}%).")
    m.append(f"- Memory target (sfi peak under 300 MB whatever the tree size): **{'met' if mem_ok else 'NOT met'}** — "
             f"highest sfi peak over the timed runs {fmt(sfi_rss_max, 1)} MB.{scale_text}")
    m.append(f"- For context: the keywords occur on {kw_lines:,} lines of the corpus (case-sensitive count); sfi reported "
             f"{findings:,} findings over {sfi_files:,} files ({sfi_bytes / MIB:.1f} MiB).")
    m.append("")
    m.append("<details><summary>Per-run figures and the commands</summary>")
    m.append("")
    tools = [t for t in TOOLS if t in runs]
    cpu_tools = [t for t in tools if has_cpu and len(cpu.get(t, [])) == len(runs[t])]
    m.append("| Run | " + " | ".join(f"{t} wall (s)" for t in tools) + " | sfi / floor | "
             + "".join(f"{t} CPU (s) | " for t in cpu_tools) + ("sfi / floor, CPU |" if "rg-keywords" in cpu_tools else ""))
    m.append("|---:|" + "---:|" * (len(tools) + 1 + len(cpu_tools) + (1 if "rg-keywords" in cpu_tools else 0)))
    for k in range(len(sfi)):
        cells = [fmt(runs[t][k][0]) if k < len(runs[t]) else "–" for t in tools]
        cpu_cells = "".join(f"{fmt(cpu[t][k])} | " for t in cpu_tools)
        cpu_ratio = f"{cpu['sfi'][k] / cpu['rg-keywords'][k]:.2f}x |" if "rg-keywords" in cpu_tools else ""
        m.append(f"| {k + 1} | " + " | ".join(cells) + f" | {sfi[k][0] / floor[k][0]:.2f}x | " + cpu_cells + cpu_ratio)
    m.append("")
    m.append("```")
    m.append(f"DOTNET_TieredCompilation=0 dotnet bench/.work/sfi-bin/sfi.dll scan bench/.work/corpus --format json --output bench/.work/sfi-report.json --threads {mc['nproc']}")
    if "sfi-aot" in runs:
        m.append(f"AOT_SFI scan bench/.work/corpus --format json --output bench/.work/sfi-aot-report.json --threads {mc['nproc']}")
    m.append(a.kw_command)
    m.append(a.kwi_command)
    m.append(a.common_command)
    if a.rg_command:
        m.append(a.rg_command)
    m.append("```")
    m.append("")
    if "sfi-aot" in runs:
        m.append("- `AOT_SFI` is the native sfi given to `--aot` (see the command above).")
    m.append("- `keywords.txt` is the union of every detector's keywords from `sfi scan --list-rules --format json`, one per line.")
    m.append("- The common regexes (AWS key ID, GitHub tokens, Slack, PEM private keys, Stripe, Google API key, JWT, a "
             "password assignment, Azure storage key, npm, SendGrid) are in `bench/scan_vs_ripgrep.py` (`COMMON_SECRETS`).")
    m.append("- All tools skip files over 10 MiB, do not follow symbolic links and read hidden files; there are no ignore "
             "files in the corpus; output goes to files (ripgrep stops at the first match when writing to /dev/null).")
    if "rg" in runs:
        with open(a.patterns) as f:
            for note in pattern_notes(json.load(f)):
                m.append(f"- {note}")
    m.append("")
    m.append("</details>")
    section = "\n".join(m)
    print(section)
    if a.write:
        write_section(a.doc, section)
        print(f"\nwrote {a.doc}", file=sys.stderr)


START, END = "<!-- bench:scan-vs-ripgrep:start -->", "<!-- bench:scan-vs-ripgrep:end -->"

HEADER = """# Benchmarks

Reproducible performance checks for `sfi`. Each section below is written by a script in `bench/` and lies
between two marker comments; rerun the script with `--write` to replace it (the rest of this file is kept).

How they are run:

- On a quiet machine if you can get one; machines are noisy, so every figure is a **median of several runs**,
  tools are alternated run by run, and ratios are quoted rather than absolute speeds alone.
- The page cache is warm: each tool gets one untimed warm-up run first. Nothing is dropped from the cache.
- Wall time, peak memory and CPU time come from GNU `/usr/bin/time -f '%e %M %U %S'` (elapsed seconds, maximum resident
  set size, user and system seconds).
- `sfi` is built once with `./sfi`, the build is copied to `bench/.work/sfi-bin` and that copy is timed
  (`dotnet sfi.dll scan …`): .NET start-up is included, `./sfi`'s rebuild check (and any rebuild while sources
  change under the benchmark) is not.
- Working files (the corpus, reports, timings) go to `bench/.work/`, which git ignores; the corpus is built once and reused.

| Benchmark | Script | What it checks |
|---|---|---|
| `sfi scan` vs ripgrep | `bench/scan-vs-ripgrep.sh [--write]` | `sfi scan` within 2x of the keyword floor (ripgrep searching only the detectors' keywords, `rg -F -c -f keywords.txt`) with all detectors on, and peak memory under 300 MB whatever the tree size |

"""


def write_section(doc: str, section: str) -> None:
    block = f"{START}\n{section}\n{END}"
    if os.path.exists(doc):
        with open(doc) as f:
            text = f.read()
    else:
        text = HEADER + START + "\n" + END + "\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        _, after = rest.split(END, 1)
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    tmp = doc + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, doc)


# ------------------------------------------------------------------------------------------------ main

def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("corpus")
    c.add_argument("dest")
    c.add_argument("--target-mib", type=float, default=100)
    t = sub.add_parser("measure")
    t.add_argument("root")
    pt = sub.add_parser("patterns")
    pt.add_argument("--rules", required=True)
    pt.add_argument("--workdir", required=True)
    pt.add_argument("--rg", default="rg")
    k = sub.add_parser("keywords")
    k.add_argument("--rules", required=True)
    k.add_argument("--out", required=True)
    cm = sub.add_parser("common")
    cm.add_argument("--out", required=True)
    r = sub.add_parser("report")
    for name in ["timings", "sfi-report", "patterns", "scaling", "command", "rg-command", "doc", "sfi-version",
                 "commit", "dotnet-version", "rg-version", "pcre2-version", "manifest", "rules", "load", "keywords",
                 "common", "kw-command", "kwi-command", "common-command", "kw-out", "common-out", "aot-report",
                 "aot-version"]:
        r.add_argument("--" + name, default="")
    r.add_argument("--rg-out", nargs="+", default=[])
    r.add_argument("--rg-each-out", default="")
    r.add_argument("--runs", type=int, default=0)
    r.add_argument("--corpus-bytes", type=int, default=0)
    r.add_argument("--corpus-files", type=int, default=0)
    r.add_argument("--write", action="store_true")
    a = p.parse_args()
    if a.cmd == "corpus":
        build_corpus(a.dest, int(a.target_mib * MIB))
    elif a.cmd == "measure":
        size, files = measure_tree(a.root)
        print(size, files)
    elif a.cmd == "patterns":
        cmd_patterns(a)
    elif a.cmd == "keywords":
        cmd_keywords(a)
    elif a.cmd == "common":
        cmd_common(a)
    elif a.cmd == "report":
        with open(a.manifest) as f:
            manifest = json.load(f)
        a.corpus_bytes = a.corpus_bytes or manifest["bytes"]
        a.corpus_files = a.corpus_files or manifest["files"]
        a.sources = manifest["sources"]
        cmd_report(a)


if __name__ == "__main__":
    main()
