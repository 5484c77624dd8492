"""Machine-readable pages: Highwire Press ``citation_*`` meta tags, Dublin Core, schema.org JSON-LD, footers.

Every page of the book (the preface, chapters and evidence pages) carries, in its ``<head>``, tags chosen for
what reference managers read, above all Zotero's "Embedded Metadata" translator (its behaviour is modelled,
with the translator's file and commit, in ``tests/zotero_model.py``, and the built pages are tested against
the model):

* Highwire Press tags (Google Scholar's inclusion guidelines): ``citation_title`` (in sentence case, as the
  citations), ``citation_author``, ``citation_publication_date`` and ``citation_online_date``
  (``YYYY/MM/DD``), ``citation_language``, ``citation_pdf_url`` (a chapter's own PDF, else the book's),
  ``citation_public_url`` and ``citation_abstract_html_url`` (the page), ``citation_keywords``; a chapter
  also has ``citation_book_title`` and ``citation_inbook_title`` (Zotero saves it as a book section), the
  preface describes the book itself, with ``citation_abstract``.
  An organisation is written ``Name,``: the "Last, First" form with no first name. Zotero splits a name
  without a comma at its last space ("US–Russia Relations book" "team"); with the comma it keeps the whole
  name as the last name, with no first name, which every citation style prints as the one name it is.
  Google Scholar's guidelines allow "Last, First" too;
* the version as PRISM ``prism.edition`` ("Version <version>"), which Zotero reads into Edition, and as
  ``citation_version`` and Dublin Core ``DC.relation.hasVersion``;
* Dublin Core ``DC.title``, ``DC.creator``, ``DC.date``, ``DC.type``, ``DC.language``, ``DC.rights`` and
  ``DC.identifier``;
* Open Graph (``og:title``, ``og:type``: "book" for the preface, which Zotero reads as a book; ``og:url``,
  ``og:site_name``, ``og:locale``; the book's ``og:description``);
* schema.org JSON-LD: a ``Book`` on the preface (with the data package as a ``Dataset``), a ``Chapter``
  (``isPartOf`` the Book) on every other page, and the ``Dataset`` again on the Methods and data page.

Addresses in these tags are those of this version of the web book (``<url>v<version>/``,
:meth:`usrubook.book.metadata.BookMetadata.address`) except ``og:url``, the latest version's page. No
publisher is given: the authors publish the book (see :mod:`usrubook.book.cite`).

The page footer (``_templates/usrubook-footer.html``) shows the version, the release date, the licences
and a link to the preface's How to cite. All values come from CITATION.cff (:mod:`usrubook.book.metadata`)
and, for the data package, ``data/datapackage.json``.
"""
from __future__ import annotations

import json
from html import escape
from pathlib import Path

from usrubook.book.metadata import LICENCE_URLS, PDF_NAME, book_metadata, sentence_case

METHODS_PAGE = "evidence/methods"
HOW_TO_CITE = "how-to-cite"          # the preface's section id


def highwire_author(creator) -> str:
    """A ``citation_author``: "Family, Given" for a person; "Name," for an organisation, so that Zotero keeps the
    name whole (it splits a name without a comma at its last space)."""
    return creator.name + "," if creator.is_entity else creator.inverted


def highwire(meta, docname: str, title: str, is_book: bool) -> list[tuple[str, str]]:
    date = meta.released.strftime("%Y/%m/%d")
    url = meta.page_url(docname)
    cited = meta.citation_title if is_book else sentence_case(title, lower=False)
    tags = [("citation_title", cited)]
    tags += [("citation_author", highwire_author(c)) for c in meta.creators]
    tags += [("citation_publication_date", date), ("citation_online_date", date), ("citation_language", "en")]
    if is_book:
        tags.append(("citation_abstract", meta.abstract))
    else:
        tags += [("citation_book_title", meta.citation_title), ("citation_inbook_title", meta.citation_title)]
    tags += [("citation_pdf_url", meta.pdf_url if is_book else meta.page_pdf_url(docname)),
             ("citation_public_url", url), ("citation_abstract_html_url", url)]
    tags += [("citation_keywords", "; ".join(meta.keywords)), ("citation_version", meta.version),
             ("prism.edition", f"Version {meta.version}")]
    tags += [("DC.title", cited), *[("DC.creator", a) for a in meta.authors],
             ("DC.date", meta.released.isoformat()), ("DC.type", "Text"), ("DC.language", "en"),
             ("DC.rights", meta.licence_text), ("DC.identifier", url), ("DC.relation.hasVersion", meta.version)]
    if not is_book:
        tags.append(("DC.relation.isPartOf", meta.citation_title))
    return tags


def opengraph(meta, docname: str, title: str, is_book: bool) -> list[tuple[str, str]]:
    """Open Graph properties (link previews; also read by Zotero's Embedded Metadata translator)."""
    tags = [("og:title", meta.title if is_book else title), ("og:type", "book" if is_book else "article"),
            ("og:url", meta.page_url(docname, latest=True)), ("og:site_name", meta.title), ("og:locale", "en")]
    if is_book:
        tags.append(("og:description", meta.abstract))
    return tags


def _person(creator) -> dict:
    if creator.is_entity:
        return {"@type": "Organization", "name": creator.name}
    return {"@type": "Person", "name": creator.name, "familyName": creator.family,
            **({"givenName": creator.given} if creator.given else {})}


def book_ld(meta) -> dict:
    return {"@type": "Book", "@id": meta.address(anchor="book"), "name": meta.title, "url": meta.address(),
            "author": [_person(c) for c in meta.creators], "datePublished": meta.released.isoformat(),
            "version": meta.version, "bookEdition": f"Version {meta.version}", "inLanguage": "en",
            "license": [LICENCE_URLS.get(x, x) for x in meta.licences], "abstract": meta.abstract,
            "keywords": list(meta.keywords), "codeRepository": meta.repository,
            "encoding": {"@type": "MediaObject", "contentUrl": meta.pdf_url, "encodingFormat": "application/pdf"}}


def dataset_ld(meta, root: Path, citation_apa: str | None = None) -> dict:
    """The data package (data/datapackage.json) as a schema.org Dataset, its files as DataDownloads."""
    package = json.loads((Path(root) / "data" / "datapackage.json").read_text(encoding="utf-8"))
    base = meta.address("data/")
    from usrubook.book.figures import PACKAGE_FOLDER, data_package_name

    # the whole package in one file (usrubook.book.figures writes it), then its descriptor and each table
    zipped = data_package_name(meta.version)
    downloads = [{"@type": "DataDownload", "name": zipped, "encodingFormat": "application/zip",
                  "contentUrl": meta.address(f"{PACKAGE_FOLDER}/{zipped}")},
                 {"@type": "DataDownload", "name": "datapackage.json", "encodingFormat": "application/json",
                  "contentUrl": base + "datapackage.json"}]
    for res in package.get("resources", []):
        path = res.get("path")
        if isinstance(path, str) and path.endswith(".csv"):
            downloads.append({"@type": "DataDownload", "name": res.get("name", path), "encodingFormat": "text/csv",
                              "contentUrl": base + path})
    ld = {"@type": "Dataset", "@id": meta.address(anchor="data"), "name": package.get("title") or package.get("name"),
          "identifier": package.get("name"),
          "description": package.get("description") or f"The data of {meta.title}.",
          "license": LICENCE_URLS["CC-BY-4.0"] if "CC-BY-4.0" in meta.licences else meta.licences[0],
          "version": meta.version, "datePublished": meta.released.isoformat(), "url": meta.address(),
          "creator": [_person(c) for c in meta.creators], "isPartOf": {"@id": meta.address(anchor="book")},
          "distribution": downloads}
    if citation_apa:
        ld["citation"] = citation_apa
    return ld


def chapter_ld(meta, docname: str, title: str, number: str | None) -> dict:
    ld = {"@type": "Chapter", "name": title, "url": meta.page_url(docname),
          "author": [_person(c) for c in meta.creators], "datePublished": meta.released.isoformat(),
          "version": meta.version, "inLanguage": "en", "encoding": {
              "@type": "MediaObject", "contentUrl": meta.page_pdf_url(docname), "encodingFormat": "application/pdf"},
          "isPartOf": {"@type": "Book", "@id": meta.address(anchor="book"), "name": meta.title,
                       "url": meta.address(), "version": meta.version}}
    if number:
        ld["position"] = number
    return ld


VERIFICATION_PAGE = "evidence/verification"
# The rating scale of the book's verdicts, best first: ratingValue is the position on it (1 = worst).
RATING_SCALE = ("still-true", "true-when-written", "contested", "outdated", "exaggerated", "unsupported", "garbled",
                "wrong")
UNRATED = ("opinion", "unverifiable")


def claim_reviews(meta, root: Path, bib: dict[str, dict]) -> list[dict]:
    """schema.org ClaimReview for every judged seed statement (data/judgements.csv): the quote, the seed it
    appears in with its date, the verdict on the book's scale, and the references read."""
    import csv

    from usrubook.chapter.verdicts import verdict_phrase
    from usrubook.pipeline.schema import AS_OF

    with open(root / "data" / "sources.csv", encoding="utf-8", newline="") as f:
        sources = {r["source_id"]: r for r in csv.DictReader(f)}
    with open(root / "data" / "judgements.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    page = meta.page_url(VERIFICATION_PAGE)
    texts = meta.page_url("evidence/source-texts")
    out = []
    for r in rows:
        seed = sources[r["source_id"]]
        verdict = r["verdict"]
        rating = {"@type": "Rating", "alternateName": verdict_phrase(verdict, r["changed_on"]),
                  "name": verdict}
        if verdict in RATING_SCALE:
            rating.update(ratingValue=len(RATING_SCALE) - RATING_SCALE.index(verdict), bestRating=len(RATING_SCALE),
                          worstRating=1)
        appearance = {"@type": "CreativeWork", "name": seed["title"],
                      "url": f"{texts}#{r['anchor']}", "identifier": r["source_id"]}
        when = seed["stated_date"] or seed["estimated_date"]
        if when:
            appearance["datePublished"] = when
        review = {"@type": "ClaimReview", "url": f"{page}#{r['judgement_id']}", "claimReviewed": r["quote"],
                  "datePublished": meta.released.isoformat(),
                  "author": _person(meta.creators[0]) if meta.creators else {"@type": "Organization",
                                                                             "name": meta.title},
                  "itemReviewed": {"@type": "Claim", "appearance": appearance, "firstAppearance": appearance,
                                   **({"datePublished": when} if when else {})},
                  "reviewRating": rating, "temporalCoverage": f"../{AS_OF}"}
        if r["explanation"]:
            review["reviewBody"] = r["explanation"]
        cited = [k.strip() for k in (r["reference"] or "").split(";") if k.strip()]
        refs = [{"@type": "CreativeWork", "name": bib[k]["title"], "url": bib[k]["url"],
                 **({"dateRead": r["accessed"]} if r["accessed"] else {})} for k in cited if bib.get(k, {}).get("url")]
        # a judgement that rests on the seeds themselves (a seed contradicting itself, corrupt text) cites them
        refs += [{"@type": "CreativeWork", "name": sources[k]["title"], "identifier": k,
                  "url": f"{texts}#{k}-p1"} for k in cited if k in sources]
        if refs:
            review["citation"] = refs
        out.append(review)
    return out


def _bib_titles(root: Path) -> dict[str, dict]:
    import re

    text = (root / "references.bib").read_text(encoding="utf-8")
    out = {}
    for m in re.finditer(r"^@\w+\{([^,\s]+),(.*?)\n\}", text, re.M | re.S):
        fields = dict(re.findall(r"^\s*(\w+)\s*=\s*\{(.*)\},?\s*$", m.group(2), re.M))
        out[m.group(1)] = {"title": fields.get("title", "").replace("{", "").replace("}", ""),
                           "url": fields.get("url", "")}
    return out


def _json_script(data: dict) -> str:
    text = json.dumps({"@context": "https://schema.org", **data} if "@graph" not in data else data,
                      ensure_ascii=False, indent=1, sort_keys=False)
    return '<script type="application/ld+json">' + text.replace("</", "<\\/") + "</script>\n"


def page_context(app, pagename, templatename, context, doctree):
    if app.builder.format != "html":
        return
    from usrubook.book.cite import chapter_number, citation_for, in_book

    meta = book_metadata(app.srcdir)
    root = app.config.root_doc
    context["usrubook_meta"] = {"version": meta.version, "released": meta.long_date,
                                "released_iso": meta.released.isoformat(), "licence": meta.licence_text,
                                "cite_href": context["pathto"](root) + "#" + HOW_TO_CITE,
                                "pdf_href": context["pathto"](PDF_NAME, 1), "repository": meta.repository}
    if doctree is None or not in_book(app, pagename):
        return
    is_book = pagename == root
    title = app.env.titles[pagename].astext()
    tags = "".join(f'<meta name="{name}" content="{escape(value)}">\n'
                   for name, value in highwire(meta, pagename, title, is_book))
    tags += "".join(f'<meta property="{name}" content="{escape(value)}">\n'
                    for name, value in opengraph(meta, pagename, title, is_book))
    if is_book:
        book = citation_for(app, kind="book")
        ld = {"@context": "https://schema.org",
              "@graph": [book_ld(meta), dataset_ld(meta, Path(app.srcdir), book["apa"])]}
    else:
        ld = chapter_ld(meta, pagename, title, chapter_number(app.env, pagename))
        if pagename == VERIFICATION_PAGE:
            ld = {"@context": "https://schema.org",
                  "@graph": [ld, *claim_reviews(meta, Path(app.srcdir), _bib_titles(Path(app.srcdir)))]}
        if pagename == METHODS_PAGE:
            book = citation_for(app, kind="book")
            ld = {"@context": "https://schema.org",
                  "@graph": [ld, dataset_ld(meta, Path(app.srcdir), book["apa"])]}
    context["metatags"] = context.get("metatags", "") + tags + _json_script(ld)


def copy_data(app, exception):
    """The data package (data/datapackage.json and the CSV files it lists) under ``data/`` of the web book,
    where the Dataset's DataDownloads point."""
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.srcdir) / "data"
    package = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    files = ["datapackage.json"] + [r["path"] for r in package.get("resources", [])
                                    if isinstance(r.get("path"), str)]
    out = Path(app.outdir) / "data"
    from usrubook.pipeline.csvio import write_if_changed

    for rel in files:
        if (root / rel).is_file():
            write_if_changed(out / rel, (root / rel).read_bytes())


def configure(app, config):
    options = dict(config.html_theme_options or {})
    options["footer_content_items"] = ["usrubook-footer.html"]
    config.html_theme_options = options


def setup(app):
    app.connect("config-inited", configure, priority=600)
    app.connect("html-page-context", page_context)
    app.connect("build-finished", copy_data)
