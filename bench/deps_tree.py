"""Generates a tree of manifests and lock files that resolve N packages across the six ecosystems, each file written
in its tool's real format (the formats of test/SecureFuture.Scanning.Dependencies.Tests/Inventory/TestData), with a
dependency graph: every package depends on up to three packages generated after it in the same file, and the first
tenth of each file's packages are the project's direct dependencies. Deterministic for a seed.

    python3 bench/deps_tree.py OUT_DIR [--packages 20000] [--seed 20261205] [--advisory-names]

--advisory-names: name the npm, PyPI, Cargo and NuGet packages as bench/advisories/AdvisoriesBench generates its
advisories' packages (generated-package-N, Example.Generated.PackageN), and the first packages of each PyPI project
after real PyPI projects with many PyPA advisories, so that `sfi scan --analyzers deps` meets advisories
(bench/deps-scan.sh). Go and Maven keep their names.
"""
import argparse, base64, hashlib, json, os, random

# Share of the packages per format (sums to 1).
SHARES = [("npm-lock", .25), ("pnpm", .10), ("yarn", .10), ("nuget", .12), ("poetry", .10), ("uv", .05),
          ("requirements", .05), ("cargo", .10), ("go", .08), ("maven", .05)]


# Real PyPI projects with many advisories in the PyPA database.
REAL_PYPI = ["django", "tensorflow", "pillow", "jinja2", "requests", "urllib3", "flask", "aiohttp", "cryptography",
             "pyyaml", "werkzeug", "numpy", "lxml", "sqlparse", "paramiko", "twisted", "tornado", "mlflow", "gradio", "ansible"]
PYPI_KINDS = {"poetry", "uv", "requirements"}


def advisory_name(kind, project, i):
    """A name AdvisoriesBench's advisories use (unique within a project: i is below 10,000)."""
    if kind in PYPI_KINDS and i < len(REAL_PYPI):
        return REAL_PYPI[i]
    k = (project * 997 + i) % 10000
    if kind == "nuget":
        return f"Example.Generated.Package{k}"
    if kind in ("go", "maven"):
        return f"{kind[:3]}-{project}-pkg{i:05d}"
    return f"generated-package-{k}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--packages", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--advisory-names", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    counts = {kind: int(args.packages * share) for kind, share in SHARES}
    counts["npm-lock"] += args.packages - sum(counts.values())
    total = 0
    for kind, count in counts.items():
        projects = max(1, count // 500)  # one project per ~500 packages: many manifests, as in a monorepo
        for p in range(projects):
            n = count // projects + (1 if p < count % projects else 0)
            directory = os.path.join(args.out, kind, f"project{p:03d}")
            os.makedirs(directory, exist_ok=True)
            pkgs = [(advisory_name(kind, p, i) if args.advisory_names else f"{kind[:3]}-{p}-pkg{i:05d}", f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}") for i in range(n)]
            deps = [sorted({rng.randrange(i + 1, n) for _ in range(rng.randint(0, 3))}) if i + 1 < n else [] for i in range(n)]
            direct = max(1, n // 10)
            WRITERS[kind](directory, pkgs, deps, direct, rng)
            total += n
    print(f"packages={total} files={sum(len(f) for _, _, f in os.walk(args.out))}")


def digest(name, version, algorithm="sha512"):
    return hashlib.new(algorithm, f"{name}@{version}".encode()).digest()


def sri(name, version):
    return "sha512-" + base64.b64encode(digest(name, version)).decode()


def write(directory, name, text):
    with open(os.path.join(directory, name), "w", newline="\n") as f:
        f.write(text)


def npm_lock(d, pkgs, deps, direct, rng):
    packages = {"": {"name": "app", "version": "1.0.0", "dependencies": {pkgs[i][0]: "^" + pkgs[i][1] for i in range(direct)}}}
    for i, (n, v) in enumerate(pkgs):
        entry = {"version": v, "resolved": f"https://registry.npmjs.org/{n}/-/{n}-{v}.tgz", "integrity": sri(n, v)}
        if deps[i]:
            entry["dependencies"] = {pkgs[j][0]: "^" + pkgs[j][1] for j in deps[i]}
        packages["node_modules/" + n] = entry
    write(d, "package-lock.json", json.dumps({"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": packages}, indent=2) + "\n")


def pnpm(d, pkgs, deps, direct, rng):
    out = ["lockfileVersion: '9.0'", "", "importers:", "", "  .:", "    dependencies:"]
    for i in range(direct):
        out += [f"      {pkgs[i][0]}:", f"        specifier: ^{pkgs[i][1]}", f"        version: {pkgs[i][1]}"]
    out += ["", "packages:", ""]
    for n, v in pkgs:
        out += [f"  {n}@{v}:", f"    resolution: {{integrity: {sri(n, v)}}}", ""]
    out += ["snapshots:", ""]
    for i, (n, v) in enumerate(pkgs):
        if deps[i]:
            out += [f"  {n}@{v}:", "    dependencies:"] + [f"      {pkgs[j][0]}: {pkgs[j][1]}" for j in deps[i]] + [""]
        else:
            out += [f"  {n}@{v}: {{}}", ""]
    write(d, "pnpm-lock.yaml", "\n".join(out))


def yarn(d, pkgs, deps, direct, rng):
    out = ["# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.", "# yarn lockfile v1", "", ""]
    for i, (n, v) in enumerate(pkgs):
        out += [f'{n}@^{v}:', f'  version "{v}"', f'  resolved "https://registry.yarnpkg.com/{n}/-/{n}-{v}.tgz"', f"  integrity {sri(n, v)}"]
        if deps[i]:
            out += ["  dependencies:"] + [f'    {pkgs[j][0]} "^{pkgs[j][1]}"' for j in deps[i]]
        out.append("")
    write(d, "yarn.lock", "\n".join(out))
    write(d, "package.json", json.dumps({"name": "app", "dependencies": {pkgs[i][0]: "^" + pkgs[i][1] for i in range(direct)}}, indent=2) + "\n")


def nuget(d, pkgs, deps, direct, rng):
    framework = {}
    for i, (n, v) in enumerate(pkgs):
        entry = {"type": "Direct" if i < direct else "Transitive", "resolved": v, "contentHash": base64.b64encode(digest(n, v)).decode()}
        if i < direct:
            entry = {"type": "Direct", "requested": f"[{v}, )", **{k: entry[k] for k in ("resolved", "contentHash")}}
        if deps[i]:
            entry["dependencies"] = {pkgs[j][0]: pkgs[j][1] for j in deps[i]}
        framework[n] = entry
    write(d, "packages.lock.json", json.dumps({"version": 2, "dependencies": {"net10.0": framework}}, indent=2) + "\n")


def toml_str(s):
    return json.dumps(s)


def poetry(d, pkgs, deps, direct, rng):
    out = ["# This file is automatically @generated by Poetry 2.2.1 and should not be changed by hand.", ""]
    for i, (n, v) in enumerate(pkgs):
        h = hashlib.sha256(f"{n}@{v}".encode()).hexdigest()
        out += ["[[package]]", f"name = {toml_str(n)}", f"version = {toml_str(v)}", 'description = ""', "optional = false",
                'python-versions = ">=3.9"', "files = [", f'    {{file = "{n}-{v}.tar.gz", hash = "sha256:{h}"}},', "]", ""]
        if deps[i]:
            out += ["[package.dependencies]"] + [f'{pkgs[j][0]} = ">={pkgs[j][1]}"' for j in deps[i]] + [""]
    out += ["[metadata]", 'lock-version = "2.1"', 'python-versions = ">=3.9"', 'content-hash = "0"', ""]
    write(d, "poetry.lock", "\n".join(out))
    write(d, "pyproject.toml", "[project]\nname = \"app\"\nversion = \"1.0.0\"\ndependencies = [\n" + "".join(f'    "{pkgs[i][0]}>={pkgs[i][1]}",\n' for i in range(direct)) + "]\n")


def uv(d, pkgs, deps, direct, rng):
    out = ["version = 1", "revision = 3", 'requires-python = ">=3.10"', "", "[[package]]", 'name = "app"', 'version = "1.0.0"',
           'source = { virtual = "." }', "dependencies = ["] + [f'    {{ name = "{pkgs[i][0]}" }},' for i in range(direct)] + ["]", ""]
    for i, (n, v) in enumerate(pkgs):
        h = hashlib.sha256(f"{n}@{v}".encode()).hexdigest()
        out += ["[[package]]", f'name = "{n}"', f'version = "{v}"', 'source = { registry = "https://pypi.org/simple" }']
        if deps[i]:
            out += ["dependencies = ["] + [f'    {{ name = "{pkgs[j][0]}" }},' for j in deps[i]] + ["]"]
        out += [f'sdist = {{ url = "https://files.pythonhosted.org/{n}-{v}.tar.gz", hash = "sha256:{h}", size = 1000 }}', ""]
    write(d, "uv.lock", "\n".join(out))


def requirements(d, pkgs, deps, direct, rng):
    parents = {}
    for i, ds in enumerate(deps):
        for j in ds:
            parents.setdefault(j, pkgs[i][0])
    out = ["#", "# This file is autogenerated by pip-compile with Python 3.13", "#"]
    for i, (n, v) in enumerate(pkgs):
        h = hashlib.sha256(f"{n}@{v}".encode()).hexdigest()
        out += [f"{n}=={v} \\", f"    --hash=sha256:{h}", f"    # via {'-r requirements.in' if i < direct or i not in parents else parents[i]}"]
    write(d, "requirements.txt", "\n".join(out) + "\n")


def cargo(d, pkgs, deps, direct, rng):
    out = ["# This file is automatically @generated by Cargo.", "# It is not intended for manual editing.", "version = 4", "",
           "[[package]]", 'name = "app"', 'version = "0.1.0"', "dependencies = ["] + [f' "{pkgs[i][0]}",' for i in range(direct)] + ["]", ""]
    for i, (n, v) in enumerate(pkgs):
        out += ["[[package]]", f'name = "{n}"', f'version = "{v}"', 'source = "registry+https://github.com/rust-lang/crates.io-index"',
                f'checksum = "{hashlib.sha256(f"{n}@{v}".encode()).hexdigest()}"']
        if deps[i]:
            out += ["dependencies = ["] + [f' "{pkgs[j][0]}",' for j in deps[i]] + ["]"]
        out.append("")
    write(d, "Cargo.lock", "\n".join(out))


def go(d, pkgs, deps, direct, rng):
    mods = [(f"github.com/example/{n}", "v" + v) for n, v in pkgs]
    out = ["module example.com/app", "", "go 1.22", "", "require ("]
    out += [f"\t{m} {v}" + ("" if i < direct else " // indirect") for i, (m, v) in enumerate(mods)] + [")", ""]
    write(d, "go.mod", "\n".join(out))
    write(d, "go.sum", "".join(f"{m} {v} h1:{base64.b64encode(digest(m, v, 'sha256')).decode()}\n{m} {v}/go.mod h1:{base64.b64encode(digest(m, v + 'mod', 'sha256')).decode()}\n" for m, v in mods))


def maven(d, pkgs, deps, direct, rng):
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<project xmlns="http://maven.apache.org/POM/4.0.0">', "  <modelVersion>4.0.0</modelVersion>",
           "  <groupId>com.example</groupId>", "  <artifactId>app</artifactId>", "  <version>1.0.0</version>", "  <properties>"]
    out += [f"    <{n}.version>{v}</{n}.version>" for n, v in pkgs[::2]] + ["  </properties>", "  <dependencies>"]
    for i, (n, v) in enumerate(pkgs):
        version = f"${{{n}.version}}" if i % 2 == 0 else v
        out += ["    <dependency>", f"      <groupId>com.example.{n[:7]}</groupId>", f"      <artifactId>{n}</artifactId>", f"      <version>{version}</version>", "    </dependency>"]
    out += ["  </dependencies>", "</project>", ""]
    write(d, "pom.xml", "\n".join(out))


WRITERS = {"npm-lock": npm_lock, "pnpm": pnpm, "yarn": yarn, "nuget": nuget, "poetry": poetry, "uv": uv,
           "requirements": requirements, "cargo": cargo, "go": go, "maven": maven}

if __name__ == "__main__":
    main()
