import sys, yaml, re
# Trim a real pnpm-lock.yaml to the closure of a few direct dependencies, keeping the file's own text for every kept entry.
src, dst, keep = sys.argv[1], sys.argv[2], sys.argv[3].split(',')
text = open(src).read()
doc = yaml.safe_load(text)
ver = str(doc['lockfileVersion'])
legacy = ver.startswith('5')
def strip(v):
    return v.split('_')[0] if legacy else v.split('(')[0]
def key_of(name, ref):
    # the packages/snapshots key a dependency reference names
    if legacy: return f"/{name}/{ref}"
    if ver.startswith('6'): return f"/{name}@{ref}"
    return f"{name}@{ref}"
imp = doc.get('importers', {'.': doc})['.']
snap = doc.get('snapshots') if ver.startswith('9') else doc['packages']
keys = set()
todo = []
for section in ('dependencies','devDependencies','optionalDependencies'):
    for n, r in (imp.get(section) or {}).items():
        if n in keep:
            ref = r['version'] if isinstance(r, dict) else r
            todo.append(key_of(n, ref))
while todo:
    k = todo.pop()
    if k in keys: continue
    keys.add(k)
    e = (snap or {}).get(k) or {}
    for section in ('dependencies','optionalDependencies'):
        for n, r in (e.get(section) or {}).items():
            todo.append(key_of(n, r))
pkgkeys = set(keys) if not ver.startswith('9') else {re.sub(r'\(.*$', '', k) for k in keys}
def unq(s):
    s = s.strip()
    if s.endswith(': {}'): s = s[:-4]
    return s.rstrip(':').strip("'\"")
out = []
lines = text.split('\n')
section = None; sub = None; block = []; keepblock = True
i = 0
def flush():
    global block
    if keepblock: out.extend(block)
    block = []
for line in lines:
    if line and not line.startswith(' '):
        flush(); section = line.rstrip(':'); keepblock = True; sub=None
        if out and out[-1] != '': block.append('')
        block.append(line); continue
    if section in ('packages','snapshots') and line.startswith('  ') and not line.startswith('   '):
        flush(); k = unq(line); keepblock = k in (pkgkeys if section=='packages' else keys)
        block.append(line); continue
    if section in ('importers',) or (section in ('dependencies','devDependencies','optionalDependencies','specifiers') and legacy):
        ind = len(line) - len(line.lstrip(' '))
        name_ind = 6 if section=='importers' else 2
        if line.strip() and ind == name_ind:
            flush(); keepblock = unq(line.split(':')[0]) in keep
        elif line.strip() and ind < name_ind:
            flush(); keepblock = True
        block.append(line); continue
    if section in ('dependencies','devDependencies','optionalDependencies') and not legacy and ver.startswith('6'):
        ind = len(line) - len(line.lstrip(' '))
        if line.strip() and ind == 2:
            flush(); keepblock = unq(line.split(':')[0]) in keep
        block.append(line); continue
    block.append(line)
flush()
res = '\n'.join(out)
res = re.sub(r'\n{3,}', '\n\n', res)
open(dst,'w').write(res)
print(len(keys), 'entries')
