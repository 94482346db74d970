#!/usr/bin/env python3
"""Collects the resource and Graph entity templates BaselineBench's generator copies (bench/baseline/BaselineBench/templates.json).

Sources: samples/tenant/ (a complete, mostly passing snapshot) and the golden files of every control
(test/SecureFuture.Baseline.Tests/TestData/<Id>/pass.* and fail.*), so the generated snapshot holds, for every
control that reads ARM or Graph, both a configuration that passes and one that fails, in the documented shapes.
Run from the repository root: python3 bench/baseline/make_templates.py
"""
import glob
import json
import os

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(path):
    with open(path, encoding="utf-8-sig") as f:
        return json.load(f)


def arm_resources(doc):
    if isinstance(doc, list):
        items = doc
    elif isinstance(doc, dict) and isinstance(doc.get("value"), list):
        items = doc["value"]
    elif isinstance(doc, dict) and isinstance(doc.get("data"), list):
        items = doc["data"]
    else:
        items = [doc]
    return [r for r in items if isinstance(r, dict) and isinstance(r.get("type"), str) and "/" in r["type"] and "id" in r]


arm, seen = [], set()
collections, singletons = {}, {}
files = sorted(glob.glob(os.path.join(root, "samples/tenant/arm/*.json")))
files += sorted(glob.glob(os.path.join(root, "test/SecureFuture.Baseline.Tests/TestData/*/*.arm.json")))
for path in files:
    for r in arm_resources(load(path)):
        key = json.dumps(r, sort_keys=True)
        if key not in seen:
            seen.add(key)
            arm.append(r)

graph_files = sorted(glob.glob(os.path.join(root, "samples/tenant/graph/*.json")))
graph_files += sorted(glob.glob(os.path.join(root, "test/SecureFuture.Baseline.Tests/TestData/*/*.graph*.json")))
graph_files += sorted(glob.glob(os.path.join(root, "test/SecureFuture.Baseline.Tests/TestData/*/*.graph/*.json")))
for path in graph_files:
    doc = load(path)
    if not isinstance(doc, dict):
        continue
    context = doc.get("@odata.context")
    if isinstance(doc.get("value"), list) and context:
        bucket = collections.setdefault(context.split("(")[0] if "$metadata#users" in context else context, {"context": context, "items": [], "seen": set()})
        for e in doc["value"]:
            key = json.dumps(e, sort_keys=True)
            if key not in bucket["seen"]:
                bucket["seen"].add(key)
                bucket["items"].append(e)
    elif "samples/tenant" in path:
        # Tenant-wide singletons (authorization policy, security defaults, ...): the sample's, once each.
        singletons[os.path.basename(path)] = doc

out = {
    "arm": arm,
    "graph": [{"context": b["context"], "items": b["items"]} for _, b in sorted(collections.items())],
    "singletons": [singletons[k] for k in sorted(singletons)],
}
with open(os.path.join(root, "bench/baseline/BaselineBench/templates.json"), "w", encoding="utf-8") as f:
    json.dump(out, f, indent=1, sort_keys=False)
    f.write("\n")
print(f"arm={len(arm)} graph-collections={len(out['graph'])} graph-entities={sum(len(g['items']) for g in out['graph'])} singletons={len(out['singletons'])}")
