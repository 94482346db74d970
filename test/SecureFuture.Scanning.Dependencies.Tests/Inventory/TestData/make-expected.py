# Independent expected package sets for the inventory tests: each format read with Python's own json/yaml/tomllib.
import json, yaml, tomllib, re, os, sys
T = sys.argv[1]
def norm(n): return re.sub(r'[-_.]+', '-', n.lower())
def write(case, pkgs):
    with open(os.path.join(T, case, 'expected.txt'), 'w') as f:
        for (n, v), d in sorted(pkgs.items()):
            f.write(f"{n}@{v} {'direct' if d else 'transitive'}\n")
def j(case, f): return json.load(open(os.path.join(T, case, f)))
# npm v2/v3
for case in ['npm-v3', 'npm-v2']:
    d = j(case, 'package-lock.json'); pk = d['packages']; root = pk['']
    names = {**root.get('dependencies', {}), **root.get('devDependencies', {}), **root.get('optionalDependencies', {}), **root.get('peerDependencies', {})}
    out = {}
    for p, e in pk.items():
        if not p.startswith('node_modules/') and '/node_modules/' not in p: continue
        if e.get('link'): continue
        n = e.get('name') or p.split('node_modules/')[-1]
        k = (n, e['version'])
        out[k] = out.get(k, False) or (p == 'node_modules/' + n and n in names)
    write(case, out)
# npm v1
d = j('npm-v1', 'package-lock.json'); pj = j('npm-v1', 'package.json')
names = {**pj.get('dependencies', {}), **pj.get('devDependencies', {})}
out = {}
def walk(deps, top):
    for n, e in deps.items():
        k = (n, e['version']); out[k] = out.get(k, False) or (top and n in names)
        walk(e.get('dependencies', {}), False)
walk(d['dependencies'], True); write('npm-v1', out)
# yarn v1
pj = j('yarn-v1', 'package.json'); declared = {f"{n}@{r}" for n, r in {**pj.get('dependencies', {}), **pj.get('devDependencies', {})}.items()}
out = {}; cur = None
for line in open(os.path.join(T, 'yarn-v1', 'yarn.lock')):
    line = line.rstrip('\n')
    if not line or line.startswith('#'): continue
    if not line.startswith(' '):
        descs = [x.strip().strip('"') for x in line[:-1].split(', ')]; cur = descs
    elif line.startswith('  version '):
        v = line.split(' ', 3)[3].strip('"'); n = cur[0][:cur[0].index('@', 1)]
        out[(n, v)] = out.get((n, v), False) or any(x in declared for x in cur)
write('yarn-v1', out)
# pnpm
for case in ['pnpm-v9', 'pnpm-v6', 'pnpm-v5']:
    d = yaml.safe_load(open(os.path.join(T, case, 'pnpm-lock.yaml'))); ver = str(d['lockfileVersion']); legacy = ver.startswith('5')
    out = {}
    for k in d['packages']:
        k2 = k.lstrip('/')
        if legacy: n, v = k2.rsplit('/', 1); v = v.split('_')[0]
        else: k2 = k2.split('(')[0]; i = k2.index('@', 1); n, v = k2[:i], k2[i+1:]
        out[(n, v)] = False
    imp = d.get('importers', {'.': d})['.']
    for s in ('dependencies', 'devDependencies', 'optionalDependencies'):
        for n, r in (imp.get(s) or {}).items():
            r = r['version'] if isinstance(r, dict) else r
            v = r.split('_')[0] if legacy else r.split('(')[0]
            out[(n, v)] = True
    write(case, out)
# cargo
for case in ['cargo-v3', 'cargo-v2']:
    d = tomllib.load(open(os.path.join(T, case, 'Cargo.lock'), 'rb')); pk = d['package']
    roots = [p for p in pk if 'source' not in p]
    direct = [x.split(' ') for r in roots for x in r.get('dependencies', [])]
    isdirect = lambda p: any(d[0] == p['name'] and (len(d) == 1 or d[1] == p['version']) for d in direct)
    write(case, {(p['name'], p['version']): isdirect(p) for p in pk if 'source' in p})
# go
out = {}
block = False
for line in open(os.path.join(T, 'go', 'go.mod')):
    s = line.split('//')[0].strip(); ind = 'indirect' in line
    if s == 'require (': block = True; continue
    if block and s == ')': block = False; continue
    f = s.split()
    if block and len(f) == 2: out[(f[0], f[1])] = not ind
    elif len(f) == 3 and f[0] == 'require': out[(f[1], f[2])] = not ind
write('go', out)
# poetry
d = tomllib.load(open(os.path.join(T, 'poetry', 'poetry.lock'), 'rb')); py = tomllib.load(open(os.path.join(T, 'poetry', 'pyproject.toml'), 'rb'))
names = set()
for r in py.get('project', {}).get('dependencies', []): names.add(norm(re.match(r'[A-Za-z0-9._-]+', r).group()))
for g in py.get('tool', {}).get('poetry', {}).get('group', {}).values(): names |= {norm(n) for n in g.get('dependencies', {})}
write('poetry', {(p['name'], p['version']): norm(p['name']) in names for p in d['package']})
# uv
d = tomllib.load(open(os.path.join(T, 'uv', 'uv.lock'), 'rb')); proj = [p for p in d['package'] if 'editable' in p['source']][0]
dn = {norm(x['name']) for g in proj.get('dev-dependencies', {}).values() for x in g} | {norm(x['name']) for x in proj.get('dependencies', [])}
write('uv', {(p['name'], p['version']): norm(p['name']) in dn for p in d['package'] if p is not proj})
# Pipfile.lock
d = j('pipfile', 'Pipfile.lock'); pf = tomllib.load(open(os.path.join(T, 'pipfile', 'Pipfile'), 'rb'))
names = {norm(n) for s in ('packages', 'dev-packages') for n in pf.get(s, {})}
write('pipfile', {(n, e['version'][2:]): norm(n) in names for s in ('default', 'develop') for n, e in d[s].items() if 'version' in e})
# pip-compile requirements
out = {}; last = None; vias = {}
for line in open(os.path.join(T, 'requirements-pip-compile', 'requirements.txt')):
    if '==' in line and not line.startswith(' ') and not line.startswith('#'):
        n, v = line.strip().split('=='); last = (n, v); vias[last] = []
    elif line.strip().startswith('#') and last:
        t = line.strip().lstrip('#').strip()
        if t.startswith('via'): t = t[3:].strip()
        if t: vias[last].append(t)
write('requirements-pip-compile', {k: any(x.startswith('-r') for x in v) for k, v in vias.items()})
# NuGet packages.lock.json
# NuGet: direct = the project's own references and those of projects it references (the same build).
d = j('nuget-lock', 'packages.lock.json'); out = {}
for tfm, es in d['dependencies'].items():
    byproject = {k.lower() for e in es.values() if e['type'] == 'Project' for k in e.get('dependencies', {})}
    for n, e in es.items():
        if e['type'] == 'Project': continue
        out[(n, e['resolved'])] = out.get((n, e['resolved']), False) or e['type'] == 'Direct' or n.lower() in byproject
write('nuget-lock', out)
d = j('nuget-assets', 'obj/project.assets.json'); direct = {n.lower() for f in d['project']['frameworks'].values() for n, e in f.get('dependencies', {}).items() if e.get('target') != 'Project'}
assets = {}
for t in d['targets'].values():
    byproject = {k.lower() for k, e in t.items() if e['type'] == 'project' for k in e.get('dependencies', {})}
    for k, e in t.items():
        if e['type'] != 'package': continue
        n, v = k.split('/', 1); assets[(n, v)] = assets.get((n, v), False) or n.lower() in direct or n.lower() in byproject
write('nuget-assets', assets)
