#!/usr/bin/env python3
"""Writes a tree of adversarial text files made from every secret rule's match examples, for checking that a change to
how keyword hits are filtered leaves whole reports identical (bench/scan-reports-equal.sh).

    python3 bench/secrets_adversarial.py OUT_DIR [--rules rules/secrets]

Per example (each at the path it names, or app.env), one file holding the example and variants of each of its lines:
upper-cased; every keyword occurrence glued to an identifier, after '_', '-', 'é', a tab or a quote; every keyword
followed by identifier characters, '[]', '(', '->', ';' or a space; the line after text dense in keyword hits inside
identifiers (pattern, getpwd, token_type, https://host/); and the line cut at random places with keywords and
assignment punctuation glued in (seeded: the same tree every time).
"""
import argparse
import os
import random
import re

import yaml

NOISE = "pattern; pwd_t *pwd = getpwd(); token_type tt; prepare_store_; see https://example.org/a:b "
GLUE = ["=", ":", " = ", "=>", "\"", "'", " ", "\t", "_", "-", ".", "@", "/", ";", "(", "é"]


def variants(line, keywords, rng):
    out = [line, line.upper(), line.lower(), NOISE + line, line + " " + NOISE]
    for kw in keywords:
        for m in re.finditer(re.escape(kw), line, re.I):
            a, b = m.start(), m.end()
            for before in ["x", "_", "-", "é", "\t", "\"", "2"]:
                out.append(line[:a] + before + line[a:])
            for after in ["x", "ern", "[]", "(", "->", ";", " ", "_name", "Type"]:
                out.append(line[:b] + after + line[b:])
    for _ in range(10):
        cut = rng.randrange(len(line) + 1)
        piece = rng.choice(GLUE + list(keywords))
        out.append(line[:cut] + piece + line[cut:])
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--rules", default=os.path.join(os.path.dirname(__file__), "..", "rules", "secrets"))
    args = parser.parse_args()
    rng = random.Random(17)
    files = 0
    for name in sorted(os.listdir(args.rules)):
        if not name.endswith(".yaml"):
            continue
        rule = yaml.safe_load(open(os.path.join(args.rules, name), encoding="utf-8"))
        keywords = rule.get("keywords") or []
        for i, example in enumerate((rule.get("examples") or {}).get("match") or []):
            text = example.get("text") or ""
            path = example.get("path") or "app.env"
            lines = [text]
            for line in text.split("\n"):
                lines.extend(variants(line, keywords, rng))
            target = os.path.join(args.out, rule["id"], str(i), path.lstrip("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
            files += 1
    print(f"{files} files in {args.out}")


if __name__ == "__main__":
    main()
