#!/usr/bin/env python3
"""Helpers of tools/aot-parity.sh.

  aot_parity.py inputs REPO DIR   writes the generated inputs under DIR: archives, encoded values, malformed files and
                                  user rules made from the match examples of REPO/rules/secrets (so no secret is
                                  written in this file, and every format the examples cover is exercised)
  aot_parity.py normalize FILE    prints FILE with the fields that say when a scan ran set aside (see TIME_FIELDS);
                                  anything else, version included, must be the same byte for byte
"""
import base64
import gzip
import io
import json
import os
import re
import sys
import tarfile
import urllib.parse
import zipfile

# The only fields two scans of the same inputs by the same sources may disagree on: when each ran. JSON report:
# startTime/endTime; SARIF: invocations[].startTimeUtc/endTimeUtc; GitLab reports: scan.start_time/end_time.
TIME_FIELDS = {"startTime", "endTime", "startTimeUtc", "endTimeUtc", "start_time", "end_time"}


def match_examples(repo):
    """The one-line match examples of the built-in secret rules, in file order: (rule file, text)."""
    folder = os.path.join(repo, "rules", "secrets")
    examples = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            text = f.read()
        block = re.search(r"^  match:\n(.*?)(?=^  \w|\Z)", text, re.S | re.M)
        if block:
            for m in re.finditer(r"^    - text: '((?:[^']|'')*)'$", block.group(1), re.M):
                examples.append((name, m.group(1).replace("''", "'")))
    return examples


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def zip_bytes(entries, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buffer.getvalue()


def tar_gz_bytes(entries):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as t:
        for name, data in entries:
            raw = data.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            info.mtime = 0
            t.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def inputs(repo, out):
    examples = match_examples(repo)
    if len(examples) < 100:
        sys.exit(f"aot_parity.py: only {len(examples)} one-line match examples in {repo}/rules/secrets")
    # Each group of examples goes into one container, so every example is found somewhere.
    groups = [examples[i::6] for i in range(6)]
    lines = lambda group: "".join(text + "\n" for _, text in group)

    # Archives: zip, a jar inside a zip, nupkg, tar.gz, gzip; then hostile ones (truncated, a bomb, not a zip at all).
    write(f"{out}/archives/config.zip", zip_bytes([("app/settings.env", lines(groups[0])), ("README.txt", "no secrets\n")]))
    inner = zip_bytes([("META-INF/app.properties", lines(groups[1]))])
    write(f"{out}/archives/outer.zip", zip_bytes([("lib/inner.jar", inner)]))
    write(f"{out}/archives/package.nupkg", zip_bytes([("content/appsettings.json", json.dumps({"values": [t for _, t in groups[2]]}, indent=2))]))
    write(f"{out}/archives/backup.tar.gz", tar_gz_bytes([("etc/app/secrets.conf", lines(groups[3]))]))
    write(f"{out}/archives/dump.env.gz", gzip.compress(lines(groups[4]).encode("utf-8"), mtime=0))
    whole = zip_bytes([("a.env", lines(groups[0]) * 20)])
    write(f"{out}/archives/truncated.zip", whole[: len(whole) // 2])
    write(f"{out}/archives/bomb.zip", zip_bytes([("zeros.txt", b"\0" * (64 << 20))]))
    write(f"{out}/archives/not-a.zip", b"PK\x03\x04 this is not a zip archive\n")

    # Encoded values: base64, base64url, hex, percent-encoding, and base64 of base64 (two layers, the default depth).
    encoded = []
    for i, (_, text) in enumerate(groups[5]):
        raw = text.encode("utf-8")
        kind = i % 5
        if kind == 0:
            value = base64.b64encode(raw).decode()
        elif kind == 1:
            value = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        elif kind == 2:
            value = raw.hex()
        elif kind == 3:
            value = urllib.parse.quote(text, safe="")
        else:
            value = base64.b64encode(base64.b64encode(raw)).decode()
        encoded.append(f"ENCODED_VALUE_{i}={value}\n")
    write(f"{out}/encoded/values.env", "".join(encoded))

    # Malformed inputs: every analyzer must report them the same way (notifications), not fail.
    write(f"{out}/malformed/azuredeploy.json", '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "resources": [\n')
    write(f"{out}/malformed/k8s/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nspec: [unclosed\n")
    write(f"{out}/malformed/main.tf", 'resource "azurerm_storage_account" "x" {\n  name = \n')
    write(f"{out}/malformed/package-lock.json", '{"lockfileVersion": 3, "packages": {"node_modules/x": {"version": ')
    # A pnpm lock file YamlDotNet rejects with an ArgumentException, which the AOT build once reported as an analyzer
    # failure (docs/benchmarks.md, "Native AOT").
    write(f"{out}/malformed/pnpm-lock.yaml", "- : x\n")
    write(f"{out}/malformed/Broken.cs", "class Broken { void M( { var password = \"\n")
    write(f"{out}/malformed/binary.bin", bytes(range(256)) * 64)

    # Standard input: a few examples.
    write(f"{out}/stdin.env", lines(groups[0][:10]))

    # User rules (docs/adding-a-secret-rule.md): a new rule and an override; then a malformed file and a rule whose
    # own example does not match (each makes the scan exit 2 after writing its report).
    token = "acme_dk_" + "Zq7" * 10 + "xY"
    rule = (
        "id: SFI-SEC-ACME-001\nname: AcmeDeployKey\nversion: 1\ntitle: 'ACME deploy key'\n"
        "description: 'A deploy key of the ACME build service.'\nseverity: high\nconfidence: high\n"
        "tags: [acme]\nreferences: [CWE-798]\nkeywords:\n  - 'acme_dk_'\n"
        "pattern: 'acme_dk_(?<secret>[A-Za-z0-9]{32})'\nmessage: 'An ACME deploy key is committed.'\n"
        f"examples:\n  match:\n    - text: 'ACME_KEY={token}'\n  noMatch:\n    - text: 'acme_dk_short'\n"
    )
    write(f"{out}/user-rules/good/acme.yaml", rule)
    write(f"{out}/user-rules/good/override.yaml", "id: SFI-SEC-001\nseverity: low\n")
    write(f"{out}/user-rules/bad/broken.yaml", "id: SFI-SEC-ACME-002\nname: [unclosed\n")
    write(f"{out}/user-rules/bad/wrong-example.yaml", rule.replace("ACME-001", "ACME-003").replace("AcmeDeployKey", "AcmeOtherKey").replace(f"ACME_KEY={token}", "ACME_KEY=none"))
    write(f"{out}/tree/deploy/acme.env", f"ACME_KEY={token}\n")
    write(f"{out}/bad-baseline.sarif", '{"version": "2.1.0", "runs": [ {"results": ')


def strip_times(node):
    if isinstance(node, dict):
        return {k: strip_times(v) for k, v in node.items() if k not in TIME_FIELDS}
    if isinstance(node, list):
        return [strip_times(v) for v in node]
    return node


def normalize(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        document = json.loads(data)
    except ValueError:
        sys.stdout.write(data.decode("utf-8", "replace"))
        return
    json.dump(strip_times(document), sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "inputs":
        inputs(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "normalize":
        normalize(sys.argv[2])
    else:
        sys.exit(__doc__)
