// The book's search page (search.html): searches the Pagefind index that `make html` writes to pagefind/
// (usrubook/book/search.py), in the browser, with nothing loaded from outside the book.
//
// What a reader types is searched as Pagefind reads it (words, or a phrase in double quotes). Several words
// without quotes are also searched as a phrase: the pages that contain the words in that order come first,
// then the pages that contain the words elsewhere, each group in Pagefind's order of relevance. Each page
// lists its best-matching sections (most weighted hits first; the phrase first), each linked to its heading.
const ROOT = new URL("../", import.meta.url);          // the book's root: this file is in _static/
const PAGE_SIZE = 10;                                  // pages shown at once ("Show more results" adds more)
const SECTIONS_PER_PAGE = 3;
const DEBOUNCE_MS = 250;

const form = document.getElementById("usrubook-search-form");
const input = document.getElementById("usrubook-search-input");
const status = document.getElementById("usrubook-search-status");
const list = document.getElementById("usrubook-search-results");
const more = document.getElementById("usrubook-search-more");

let pagefind = null;
let generation = 0;          // a newer query makes the results of an older one obsolete
let pending = [];            // results of the current query not shown yet
let timer = null;

async function load() {
  if (!pagefind) {
    pagefind = await import(new URL("pagefind/pagefind.js", ROOT).href);
    await pagefind.options({ baseUrl: ROOT.pathname, excerptLength: 28 });
  }
  return pagefind;
}

// The words of a query, for phrase matching: lower case, letters and digits only.
const words = (text) => (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []);

function containsPhrase(text, phrase) {
  if (phrase.length < 2) return false;
  const w = words(text);
  outer: for (let i = 0; i + phrase.length <= w.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (w[i + j] !== phrase[j]) continue outer;
    return true;
  }
  return false;
}

// The text of each section of a page: from its heading's position in the page's words to the next heading's.
function sectionText(data, sub) {
  const all = data.content.split(/\s+/);
  const starts = data.anchors.filter((a) => /^h\d$/i.test(a.element)).map((a) => a.location).sort((a, b) => a - b);
  const from = sub.anchor ? sub.anchor.location : 0;
  const next = starts.find((loc) => loc > from || (!sub.anchor && loc >= from));
  return all.slice(from, next === undefined ? all.length : next).join(" ");
}

const weight = (sub) => (sub.weighted_locations || []).reduce((sum, l) => sum + l.balanced_score, 0);

// A Pagefind excerpt (text with <mark> around the matches) as DOM nodes: text and <mark> only.
function excerptNodes(html) {
  const doc = new DOMParser().parseFromString(`<p>${html}</p>`, "text/html");
  const out = [];
  for (const node of doc.body.firstChild.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) out.push(document.createTextNode(node.textContent));
    else if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      out.push(mark);
    } else out.push(document.createTextNode(node.textContent));
  }
  return out;
}

// A passage around the first occurrence of the phrase in a section's text, the phrase marked (for a section
// that contains the phrase but whose Pagefind excerpt shows its words elsewhere).
function phraseExcerpt(text, phrase) {
  const tokens = text.split(/\s+/).filter(Boolean);
  const norm = tokens.map(words);
  for (let i = 0; i < tokens.length; i++) {
    const flat = norm.slice(i, i + phrase.length + 2).flat();
    if (flat.slice(0, phrase.length).join(" ") !== phrase.join(" ") || norm[i][0] !== phrase[0]) continue;
    let end = i, got = 0;
    while (end < tokens.length && got < phrase.length) got += norm[end++].length;
    const from = Math.max(0, i - 12), to = Math.min(tokens.length, end + 14);
    const mark = document.createElement("mark");
    mark.textContent = tokens.slice(i, end).join(" ");
    return [document.createTextNode(tokens.slice(from, i).join(" ") + " "), mark,
            document.createTextNode(" " + tokens.slice(end, to).join(" "))];
  }
  return null;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

// A result's link, relative to this page (the book may be served from any folder). A link to a page's own
// title (its h1) goes to the top of the page.
function href(url, anchor) {
  const u = new URL(url, location.origin);
  if (anchor && /^h1$/i.test(anchor.element)) u.hash = "";
  return u.pathname + u.hash;
}

function render(item) {
  const { data, phrase } = item;
  const li = el("li", "usrubook-search__page");
  const title = el("a", "usrubook-search__title", data.meta.title || data.url);
  title.href = href(data.url);
  li.append(title);
  let subs = data.sub_results.map((sub) => {
    const text = phrase ? sectionText(data, sub) : "";
    return { sub, text, w: weight(sub), exact: phrase ? containsPhrase(text, phrase) : false };
  });
  subs.sort((a, b) => (b.exact - a.exact) || (b.w - a.w));
  subs = subs.slice(0, SECTIONS_PER_PAGE);
  const sections = el("ul", "usrubook-search__sections");
  for (const { sub, text, exact } of subs) {
    const s = el("li", "usrubook-search__section");
    const pageLevel = !sub.anchor || /^h1$/i.test(sub.anchor.element);
    if (!pageLevel) {
      const a = el("a", "usrubook-search__heading", sub.title);
      a.href = href(sub.url, sub.anchor);
      s.append(a);
    }
    const p = el("p", "usrubook-search__excerpt");
    const shown = excerptNodes(sub.excerpt);
    const own = exact && !containsPhrase(shown.map((n) => n.textContent).join(""), phrase) ? phraseExcerpt(text, phrase) : null;
    p.append("… ", ...(own || shown), " …");
    s.append(p);
    sections.append(s);
  }
  li.append(sections);
  return li;
}

async function showMore(gen) {
  const batch = pending.splice(0, PAGE_SIZE);
  const loaded = await Promise.all(batch.map(async (r) => ({ data: await r.result.data(), phrase: r.phrase })));
  if (gen !== generation) return;
  for (const item of loaded) list.append(render(item));
  more.hidden = pending.length === 0;
}

async function search(query) {
  const gen = ++generation;
  const q = query.trim();
  const url = new URL(location.href);
  if (q) url.searchParams.set("q", q); else url.searchParams.delete("q");
  history.replaceState(null, "", url);
  list.replaceChildren();
  more.hidden = true;
  pending = [];
  if (!q) { status.textContent = ""; return; }
  status.textContent = "Searching…";
  let pf;
  try {
    pf = await load();
  } catch (err) {
    status.textContent = "The search index could not be loaded. It is built by `make html` (pagefind/ beside this page), and the book must be served over HTTP, e.g. python -m http.server in _build/html.";
    return;
  }
  // Pagefind ranks the words and finds each page's sections; a phrase (typed in quotes, or several words typed
  // without them) decides which pages come first, or, in quotes, which pages are shown at all.
  const quoted = [...q.matchAll(/"([^"]+)"/g)].map((m) => words(m[1])).filter((p) => p.length);
  const loose = q.replace(/"/g, " ").replace(/\s+/g, " ").trim();
  const phrase = quoted.length ? quoted.reduce((a, b) => (b.length > a.length ? b : a)) : words(q);
  const plain = await pf.search(loose);
  if (gen !== generation) return;
  let ordered = plain.results.map((result) => ({ result, phrase: null }));
  let exactCount = 0;
  if (quoted.length || phrase.length > 1) {
    const exact = await pf.search(quoted.length ? q : `"${phrase.join(" ")}"`);
    if (gen !== generation) return;
    const ids = new Set(exact.results.map((r) => r.id));
    const first = ordered.filter((r) => ids.has(r.result.id)).map((r) => ({ ...r, phrase }));
    const known = new Set(first.map((r) => r.result.id));
    first.push(...exact.results.filter((r) => !known.has(r.id)).map((result) => ({ result, phrase })));
    exactCount = first.length;
    ordered = quoted.length ? first : first.concat(ordered.filter((r) => !ids.has(r.result.id)));
  }
  pending = ordered.slice();
  await showMore(gen);
  if (gen !== generation) return;
  const n = ordered.length;
  status.textContent = n === 0
    ? `No page matches “${q}”.`
    : `${n} ${n === 1 ? "page matches" : "pages match"} “${q}”` +
      (!quoted.length && phrase.length > 1 ? `; ${exactCount} ${exactCount === 1 ? "contains" : "contain"} the words as a phrase and ${exactCount === 1 ? "comes" : "come"} first.` : ".");
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(timer);
  search(input.value);
});
input.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(() => search(input.value), DEBOUNCE_MS);
});
more.addEventListener("click", () => showMore(generation));

const initial = new URLSearchParams(location.search).get("q") || "";
input.value = initial;
if (initial) search(initial);
input.focus();
