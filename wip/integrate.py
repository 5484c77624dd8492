"""Merge the helpers' tables and bibliographies into /work/main (run from anywhere)."""
import csv, io, re, sys, glob, os
R = '/work/main'
H = '/work/handoff'
sys.path.insert(0, R)
from usrubook.pipeline.schema import CURATED

def read(p):
    with open(p, newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f))

def write(name, rows):
    t = CURATED[name]
    b = io.StringIO(); w = csv.DictWriter(b, fieldnames=t.names, lineterminator='\n', extrasaction='ignore')
    w.writeheader()
    late = [r for r in rows if (r.get('date') or '') > '2026-01-31']
    for r in late: print('  after the as-of date, left out:', name, r.get(t.primary_key[0]), r['date'])
    rows = [r for r in rows if r not in late]
    for r in rows:
        w.writerow({k: (r.get(k) or '').strip() for k in t.names})
    open(os.path.join(R, t.path), 'w', encoding='utf-8', newline='').write(b.getvalue())
    print(f'{t.path}: {len(rows)} rows')
    return rows

order = ['h1-history-early', 'h2-history-middle', 'h3-war-2022-2024', 'h4-current-state', 'h5-europe-asia',
         'h6-trade', 'h7-outlook-treaties', 'h8-judgements']
def gather(fname, key):
    rows, seen = [], {}
    for h in order:
        p = f'{H}/{h}/{fname}'
        if not os.path.exists(p): continue
        for r in read(p):
            r = {k.strip(): (v or '') for k, v in r.items() if k}
            if not r.get(key): continue
            if r[key] in seen:
                print(f'  duplicate {fname} {r[key]} in {h} (kept {seen[r[key]]})'); continue
            seen[r[key]] = h; r['_from'] = h; rows.append(r)
    return rows

chron = gather('chronology.csv', 'event_id')
# near-duplicates: same date and same category
by = {}
for r in chron:
    by.setdefault((r['date'], r['category']), []).append(r)
for k, v in by.items():
    if len(v) > 1: print('  same date+category:', k, [x['event_id'] + '@' + x['_from'] for x in v])
write('chronology', chron)
write('treaties', gather('treaties.csv', 'milestone_id'))
write('measures', gather('measures.csv', 'measure_id'))
ts = gather('trade_series.csv', 'year') if False else []
for h in order:
    p = f'{H}/{h}/trade_series.csv'
    if os.path.exists(p):
        for r in read(p):
            r['series_id'] = f"{r['series'].replace('_', '-')}-{r['year']}"
            ts.append(r)
write('trade_series', ts)
write('facts', gather('facts.csv', 'fact_id'))
write('scenarios', gather('scenarios.csv', 'scenario_id'))

# bibliography: append new entries, skip keys already present
bibp = f'{R}/references.bib'
bib = open('/work/handoff/base.bib', encoding='utf-8').read()
have = set(re.findall(r'^@\w+\{([^,\s]+),', bib, re.M))
added = 0
for h in order:
    p = f'{H}/{h}/refs.bib'
    if not os.path.exists(p): continue
    for m in re.finditer(r'@\w+\{([^,\s]+),.*?\n\}', open(p, encoding='utf-8').read(), re.S):
        if m.group(1) in have: continue
        have.add(m.group(1)); bib = bib.rstrip('\n') + '\n\n' + m.group(0) + '\n'; added += 1
open(bibp, 'w', encoding='utf-8').write(bib)
print('bib entries added:', added)

# ---- clean: no row rests on an aggregator; state media only attributed ---------------------------
sys.path.insert(0, R)
from usrubook.pipeline.references import read_bib
from pathlib import Path
import csv as _csv
kinds_override = {r['key']: r['kind'] for r in read(f'{H}/h8-judgements/kinds.csv')} if os.path.exists(f'{H}/h8-judgements/kinds.csv') else {}
text = open(bibp, encoding='utf-8').read()
def setkind(m):
    body, key = m.group(0), m.group(1)
    if key in kinds_override:
        body = re.sub(r'^(\s*kind\s*=\s*)\{[^}]*\}', lambda mm: mm.group(1) + '{' + kinds_override[key] + '}', body, flags=re.M)
    if not re.search(r'^\s*kind\s*=', body, re.M) and not (key.startswith('seed') and 'url' not in body):
        body = body[:-1].rstrip().rstrip(',') + ',\n  kind         = {aggregator}\n}'
    return body
text = re.sub(r'@\w+\{([^,\s]+),.*?\n\}', setkind, text, flags=re.S)
open(bibp, 'w', encoding='utf-8').write(text)
bib = read_bib(Path(R))
for name in ('chronology', 'treaties', 'measures', 'trade_series', 'facts', 'scenarios'):
    t = CURATED[name]; p = os.path.join(R, t.path)
    rows = read(p); keep = []
    for r in rows:
        keys = [k.strip() for k in r['reference'].split(';') if k.strip()]
        missing = [k for k in keys if k not in bib]
        if missing:
            print(f'  DROP {name} {r[t.primary_key[0]]}: unknown key {missing}'); continue
        first = bib[keys[0]]
        said = ' '.join(v for k, v in r.items() if k not in ('reference', 'reference_excerpt'))
        if first.kind == 'aggregator' or (first.kind == 'state-media' and f'according to {first.outlet}'.lower() not in said.lower()):
            print(f'  DROP {name} {r[t.primary_key[0]]}: rests on {first.key} ({first.kind})'); continue
        rest = [k for k in keys[1:] if bib[k].kind not in ('aggregator', 'state-media')]
        r['reference'] = '; '.join([keys[0]] + rest)
        keep.append(r)
    write(name, keep)
