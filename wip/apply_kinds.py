import re, sys, csv
sys.path.insert(0, '/work/handoff'); import domain_kinds as d
p = '/work/main/references.bib'
text = open(p, encoding='utf-8').read()
override = {}
if len(sys.argv) > 1:
    override = {r['key']: r['kind'] for r in csv.DictReader(open(sys.argv[1]))}
def kind_of(key, body):
    if key in override: return override[key]
    m = re.search(r'url\s*=\s*\{https?://(?:www\.)?([^/}]+)', body)
    dom = m.group(1) if m else ''
    if 'wikipedia.org' in dom: return 'reference'
    for name, k in (('OFFICIAL','official'),('PRESS','press'),('SCHOLARLY','scholarly'),('REFERENCE','reference'),('STATE_MEDIA','state-media')):
        if dom in getattr(d, name): return k
    return 'aggregator'
def fix(m):
    body = m.group(0); key = m.group(1)
    if key.startswith('seed') and 'url' not in body: return body
    k = kind_of(key, body)
    if re.search(r'^\s*kind\s*=', body, re.M):
        return re.sub(r'^(\s*kind\s*=\s*)\{[^}]*\}', lambda mm: mm.group(1) + '{' + k + '}', body, flags=re.M)
    return re.sub(r'(\n\s*note\s*=)', '\n  kind         = {' + k + '},' + r'\1', body, count=1) if re.search(r'\n\s*note\s*=', body) else body[:-1].rstrip().rstrip(',') + ',\n  kind         = {' + k + '}\n}'
text = re.sub(r'@\w+\{([^,\s]+),.*?\n\}', fix, text, flags=re.S)
open(p, 'w', encoding='utf-8').write(text)
