import csv, io, sys
R='/work/main'
def load(p): return list(csv.DictReader(open(p,newline='',encoding='utf-8')))
def save(p,rows,fields):
    b=io.StringIO(); w=csv.DictWriter(b,fieldnames=fields,lineterminator='\n'); w.writeheader(); w.writerows(rows)
    open(p,'w',encoding='utf-8',newline='').write(b.getvalue())
fixes=load('/work/handoff/h8-judgements/fixes.csv')
V=load(f'{R}/data/curated/verifications.csv'); Vf=list(V[0].keys())
C=load(f'{R}/data/curated/corrections.csv'); Cf=list(C[0].keys())
E=load(f'{R}/data/curated/events.csv'); Ef=list(E[0].keys())
claims={r['claim_id'] for r in load(f'{R}/data/curated/claims.csv')}
vid={r['verification_id']:r for r in V}
vsub={(r['subject_table'],r['subject_id']):r for r in V}
cid={r['correction_id']:r for r in C}
eid={r['event_id']:r for r in E}
unmatched=[]
for f in fixes:
    t,i=f['table'],f['row_id']
    if t=='verifications':
        r=vid.get(i) or vsub.get(('claims',i)) or vsub.get(('propositions',i)) or vsub.get(('relations',i)) or vsub.get(('trade',i))
        if r is None:
            removed = set(open('/tmp/rule1.txt').read().split())
            if i in claims and i not in removed and f['text']:
                r={k:'' for k in Vf}; r.update(verification_id=i,subject_table='claims',subject_id=i); V.append(r); vid[i]=r
            else:
                unmatched.append((t,i,f['reason'][:150])); continue
        r['reference']=f['reference']
        if f['reference_excerpt']: r['reference_excerpt']=f['reference_excerpt']
        if not f['reference']: r['reference_excerpt']=''; r['accessed']=''
        if f['accessed']: r['accessed']=f['accessed']
        if f['verdict']: r['verdict']=f['verdict']
        r['changed_on']=(f['changed_on'] or r['changed_on']) if r['verdict']=='outdated' else ''
        r['what_changed']=(f['what_changed'] or r['what_changed']) if r['verdict']=='outdated' else ''
        if f['text']: r['note']=f['text']
    elif t=='corrections':
        r=cid.get(i)
        if r is None: unmatched.append((t,i,f['reason'][:150])); continue
        r['reference']=f['reference']
        if f['reference_excerpt']: r['reference_excerpt']=f['reference_excerpt']
        if not f['reference']: r['reference_excerpt']=''; r['accessed']=''
        if f['accessed']: r['accessed']=f['accessed']
        if f['verdict']: r['kind']=f['verdict']
        r['changed_on']=(f['changed_on'] or r['changed_on']) if r['kind']=='outdated' else ''
        if f['text']: r['correction']=f['text']
    elif t=='events':
        r=eid.get(i)
        if r is None: unmatched.append((t,i,f['reason'][:150])); continue
        r['date_reference']=f['reference']
        if f['reference_excerpt']: r['date_excerpt']=f['reference_excerpt']
        if not f['reference']: r['date_excerpt']=''; r['date_basis']= 'stated' if r['date_basis']=='reference' else r['date_basis']
    else:
        unmatched.append((t,i,f['reason'][:150]))
save(f'{R}/data/curated/verifications.csv',V,Vf); save(f'{R}/data/curated/corrections.csv',C,Cf); save(f'{R}/data/curated/events.csv',E,Ef)
for u in unmatched: print('UNMATCHED',u)
