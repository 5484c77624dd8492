// The book's search page (search.html): searches the Pagefind index that `make html` writes to pagefind/
// (usrubook/build/search.py), in the browser, with nothing loaded from outside the book.
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
  if (!sub.anchor) return data.excerpt || "";
  const starts = data.anchors.filter((a) => /^h\d$/i.test(a.element)).map((a) => a.location).sort((a, b) => a - b);
  const next = starts.find((loc) => loc > sub.anchor.location);
  return all.slice(sub.anchor.location, next === undefined ? all.length : next).join(" ");
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
  let subs = data.sub_results.map((sub) => ({ sub, w: weight(sub), exact: phrase ? containsPhrase(sectionText(data, sub), phrase) : false }));
  subs.sort((a, b) => (b.exact - a.exact) || (b.w - a.w));
  subs = subs.slice(0, SECTIONS_PER_PAGE);
  const sections = el("ul", "usrubook-search__sections");
  for (const { sub } of subs) {
    const s = el("li", "usrubook-search__section");
    const pageLevel = !sub.anchor || /^h1$/i.test(sub.anchor.element);
    if (!pageLevel) {
      const a = el("a", "usrubook-search__heading", sub.title);
      a.href = href(sub.url, sub.anchor);
      s.append(a);
    }
    const p = el("p", "usrubook-search__excerpt");
    p.append("… ", ...excerptNodes(sub.excerpt), " …");
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
  const quoted = q.includes('"');
  const phrase = quoted ? null : words(q);
  const plain = await pf.search(q);
  if (gen !== generation) return;
  let ordered = plain.results.map((result) => ({ result, phrase: null }));
  let exactCount = 0;
  if (phrase && phrase.length > 1) {
    const exact = await pf.search(`"${phrase.join(" ")}"`);
    if (gen !== generation) return;
    const ids = new Set(exact.results.map((r) => r.id));
    const first = ordered.filter((r) => ids.has(r.result.id)).map((r) => ({ ...r, phrase }));
    exactCount = first.length;
    ordered = first.concat(ordered.filter((r) => !ids.has(r.result.id)));
  }
  const n = ordered.length;
  status.textContent = n === 0
    ? `No page matches “${q}”.`
    : `${n} ${n === 1 ? "page matches" : "pages match"} “${q}”` +
      (phrase && phrase.length > 1 ? `; ${exactCount} ${exactCount === 1 ? "contains" : "contain"} the words as a phrase and ${exactCount === 1 ? "comes" : "come"} first.` : ".");
  pending = ordered;
  await showMore(gen);
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
