import sys, tomllib, re
src, dst, groups = sys.argv[1], sys.argv[2], sys.argv[3].split(',')
text = open(src).read()
doc = tomllib.loads(text)
head, *blocks = text.split('\n[[package]]\n')
def norm(n): return re.sub(r'[-_.]+', '-', n.lower())
pk = doc['package']
proj = [p for p in pk if 'editable' in p.get('source', {})][0]
keep_names = set()
todo = [d for g in groups for d in proj['dev-dependencies'][g]]
byname = {}
for p in pk: byname.setdefault(norm(p['name']), []).append(p)
seen = set()
while todo:
    d = todo.pop()
    for p in byname.get(norm(d['name']), []):
        if 'version' in d and p.get('version') != d['version']: continue
        key = (p['name'], p.get('version'))
        if key in seen: continue
        seen.add(key)
        for dd in p.get('dependencies', []): todo.append(dd)
out = [head]
for b, p in zip(blocks, pk):
    if p is proj:
        # keep only the chosen dev-dependency groups of the project block
        lines = b.split('\n'); res = []; skip = False
        for line in lines:
            m = re.match(r'^([a-z-]+) = \[$', line)
            if m: skip = m.group(1) not in groups
            if not skip: res.append(line)
            if skip and line == ']': skip = False
        out.append('\n'.join(res))
    elif (p['name'], p.get('version')) in seen:
        out.append(b)
open(dst, 'w').write('\n[[package]]\n'.join(out))
print(len(seen))
