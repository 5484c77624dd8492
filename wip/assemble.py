import re, os
H = '/work/handoff'; R = '/work/main'
FRONT = open(f'{R}/chapters/trade.md').read().split('---\n', 2)
FRONT = '---\n' + FRONT[1] + '---\n'

def fig_cell(label, caption, what):
    lab = label.strip(); cap = caption.strip().replace("'", "’")
    lo, hi, labels = None, None, []
    if 'treat' in lab:
        code = 'treaty_chart(usrubook.load("treaties"))'
        data = 'treaties.csv'
    elif 'trade-goods' in lab:
        code = 'trade_series_chart(usrubook.load("trade_series"), ["goods_exports", "goods_imports"])'
        data = 'trade_series.csv'
    elif 'trade-measures' in lab:
        return None
    elif 'composition' in lab:
        return None
    else:
        spans = {'fig-history-early-tone': (1991, 2009), 'fig-history-middle-tone': (2009, 2022),
                 'fig-war-chronology': (2022, 2025), 'fig-current-chronology': (2025, 2026.09),
                 'fig-europe-asia-timeline': (2014, 2026.09)}
        lo, hi = spans.get(lab, (1991, 2026.09))
        cats = ''
        if 'europe' in lab:
            cats = '\nchron = chron[chron["category"].isin(["nato_europe", "energy", "asia"])]'
        code = f'chron = usrubook.load("chronology"){cats}\nchronology_chart(chron, {lo}, {hi})'
        data = 'chronology.csv'
    return f"""```{{code-cell}} ipython3
---
tags: [hide-input]
mystnb:
  figure:
    caption: '{cap}. Events a seed also tells are ringed. Data: {{download}}`{data} <../data/{data}>`.'
    name: {lab}
---
from usrubook.chapter.account import chronology_chart, treaty_chart, trade_series_chart
{code}
```"""

def figures(text):
    def rep(m):
        parts = [p.strip() for p in m.group(1).split('|')]
        cell = fig_cell(*parts[:3])
        return cell if cell else ''
    return re.sub(r'<!-- FIGURE: (.*?) -->', rep, text, flags=re.S)

def body(path):
    t = open(path).read()
    if t.startswith('---\n'):
        t = t.split('---\n', 2)[2]
    return t

def write(name, text):
    text = figures(text)
    open(f'{R}/chapters/{name}.md', 'w').write(text)
    print(name, len(text.split()))

PRE = """```{code-cell} ipython3
:tags: [hide-cell]

import usrubook

usrubook.setup()
```
"""
# History
hist = FRONT + '\n(chapter-history)=\n# History\n\n' + PRE + '\n' + open(f'{H}/history-intro.md').read() + '\n'
for p in ['h1-history-early/history-early.md', 'h2-history-middle/history-middle.md', 'h3-war-2022-2024/history-war.md',
          'h4-current-state/history-2025.md']:
    if os.path.exists(f'{H}/{p}'):
        hist += '\n' + body(f'{H}/{p}').strip() + '\n'
hist += '\n' + open(f'{H}/history-outro.md').read()
write('history', hist)
for name, p in [('current-state', 'h4-current-state/current-state.md'), ('europe-asia', 'h5-europe-asia/europe-asia.md'),
                ('trade', 'h6-trade/trade.md'), ('outlook', 'h7-outlook-treaties/outlook.md')]:
    t = open(f'{H}/{p}').read()
    if not t.startswith('---\n'):
        t = FRONT + t
    write(name, t)
