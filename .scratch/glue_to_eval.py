"""One-off: inline glue roles become {eval} roles on identifier names (re-runnable, idempotent)."""
import re, sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
pages = [root / "intro.md", root / "rerun.md", *sorted((root / "chapters").glob("*.md")), *sorted((root / "evidence").glob("*.md"))]
names = set()
call = re.compile(r'(glue_(?:value|count)\(\s*\\?")([A-Za-z][\w-]*)(\\?")')
for p in pages:
    names |= {m.group(2) for m in call.finditer(p.read_text(encoding="utf-8"))}
rename = {n: n.replace("-", "_") for n in names}
bad = [n for n in rename.values() if not n.isidentifier()]
assert not bad, bad
files = pages + sorted((root / "tests/reference").rglob("*.json")) + [root / "tests/test_nbval.py"]
for p in files:
    text = p.read_text(encoding="utf-8")
    new = call.sub(lambda m: m.group(1) + rename[m.group(2)] + m.group(3), text)
    new = re.sub(r"\{glue(?::text)?\}`([^`]+)`", lambda m: "{eval}`%s`" % rename.get(m.group(1), m.group(1)), new)
    if new != text:
        p.write_text(new, encoding="utf-8")
        print("changed", p.relative_to(root))
left = [p for p in pages if re.search(r"\{glue(?::text)?\}`", p.read_text(encoding="utf-8"))]
print("names", len(names), "pages still with inline glue:", left)
