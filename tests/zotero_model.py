"""What Zotero saves from a page of the book: a Python model of the parts of Zotero's web translation that read
the book's meta tags. Written from the sources (no code copied), which are AGPL; read at these commits:

* zotero/translators 2814370161d05d799086825fac8d499db3a33aa3 (2026-06-26):
  - "Embedded Metadata.js" (last changed f6350edad7f4b627903eb6a5601ac3f700aacfbd, 2026-04-27; priority 320):
    ``HIGHWIRE_MAPPINGS`` and ``processFields`` (a ``citation_*`` tag fills one field; the *first* tag whose
    name ends with the key wins), ``init`` (the item type from the Highwire tags: ``citation_book_title`` or
    ``citation_inbook_title`` make a ``bookSection``; ``citation_title`` only *guesses* ``journalArticle``;
    else the RDF translator's type), ``processHighwireCreators`` (one creator per ``citation_author``, split by
    ``ZU.cleanAuthor`` with ``useComma`` = the name contains a comma), ``addHighwireMetadata`` (Highwire
    creators replace the RDF ones; ``citation_pdf_url`` becomes a "Full Text PDF" attachment, else a snapshot
    is attached; ``citation_abstract_html_url`` is the URL when ``citation_public_url`` is missing),
    ``addLowQualityMetadata`` (``libraryCatalog`` = the page's host);
    every other ``prefix.name`` meta tag with a known prefix (``DC``, ``prism``, ``og``, ``bibo``, ...)
    becomes an RDF statement *with a literal value* about the page, imported by RDF.js;
  - "RDF.js" (last changed 6c9e20a05fdfdb524b10ad87d5934850498b8bdb): ``detectType`` (``og:type`` "book" is
    a book; ``DC.type`` "Text" only guesses), ``importItem`` (``edition`` from ``prism:edition``,
    ``bibo:edition``, ``schema:bookEdition`` or ``schema:version``, copied to ``versionNumber``; ``rights``
    from ``dc:rights``), ``handleCreators`` (a literal creator goes through ``ZU.cleanAuthor`` as above; only
    a *resource* with a family name and no given name gets ``fieldMode`` 1, which meta tags cannot make);
  - "COinS.js" (priority 310) and "unAPI.js" (priority 300) are not used by the book: they would run before
    Embedded Metadata, and neither gives a one-field name from static pages (COinS ``rft.aucorp`` yields
    ``{lastName, isInstitution}``, which Zotero saves as a two-field name; unAPI needs a server answering
    ``?id=…&format=…``);
* zotero/utilities 4051881d59c6c12d34417d4c226f37218051be90 (2026-08-19): ``utilities.js``
  ``cleanAuthor`` (trims spaces and ``.,/[]:`` at both ends; with ``useComma`` splits "Last, First", without
  it splits at the last space before a letter; never sets ``fieldMode``); ``utilities_item.js``
  ``itemToCSLJSON`` (a name with ``fieldMode`` 1 is a CSL ``literal``; otherwise ``{family, given}``);
* zotero/zotero ``chrome/content/zotero/xpcom/data/creators.js`` ``cleanData`` (a saved creator is
  ``{firstName or "", lastName, fieldMode or 0}``) and zotero/translate 017253c17c94f722057a652e8741d68515656a8b
  ``src/translation/translate.js`` ``_itemDone`` (empty creators dropped, fields trimmed);
* zotero/zotero-schema 5eedf4402ea6e7393eaf16902b63f572f48707a7 (schema version 41): the fields of ``book``
  and ``bookSection`` below. A book section has no field for a chapter number (CSL ``chapter-number`` maps
  only from the ``session`` field of hearings).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

# "Embedded Metadata.js" HIGHWIRE_MAPPINGS (tag -> Zotero field), in the translator's order
HIGHWIRE_MAPPINGS = {
    "citation_title": "title", "citation_publication_date": "date", "citation_cover_date": "date",
    "citation_date": "date", "citation_journal_title": "publicationTitle",
    "citation_journal_abbrev": "journalAbbreviation", "citation_inbook_title": "publicationTitle",
    "citation_book_title": "bookTitle", "citation_volume": "volume", "citation_issue": "issue",
    "citation_series_title": "series", "citation_conference_title": "conferenceName",
    "citation_conference": "conferenceName", "citation_dissertation_institution": "university",
    "citation_technical_report_institution": "institution", "citation_technical_report_number": "number",
    "citation_publisher": "publisher", "citation_isbn": "ISBN", "citation_abstract": "abstractNote",
    "citation_doi": "DOI", "citation_public_url": "url", "citation_language": "language",
}
# "Embedded Metadata.js" init(): the Highwire tags that fix (HW_TYPE) or guess (HW_GUESS) the item type
HW_TYPE = {"citation_journal_title": "journalArticle", "citation_technical_report_institution": "report",
           "citation_conference_title": "conferencePaper", "citation_conference": "conferencePaper",
           "citation_book_title": "bookSection", "citation_inbook_title": "bookSection",
           "citation_dissertation_institution": "thesis"}
# Embedded Metadata's default prefixes (the part of a "prefix.name" tag that makes it an RDF statement)
RDF_PREFIXES = {"bib", "bibo", "dc", "dcterms", "prism", "foaf", "vcard", "link", "z", "eprint", "eprints", "og",
                "article", "book", "music", "video", "so", "codemeta", "rdf"}
# RDF.js importItem: the RDF properties (as "prefix:name") read into the fields this model follows
RDF_EDITION = ("prism:edition", "bibo:edition", "so:bookEdition", "so:version")
RDF_RIGHTS = ("prism:copyright", "dc:rights", "dcterms:rights", "so:license")
# zotero-schema 41: the fields of the two item types the book's pages are saved as
ITEM_FIELDS = {
    "book": {"title", "abstractNote", "series", "seriesNumber", "volume", "numberOfVolumes", "edition", "date",
             "publisher", "place", "originalDate", "originalPublisher", "originalPlace", "medium", "numPages",
             "ISBN", "DOI", "citationKey", "url", "accessDate", "ISSN", "archive", "archiveLocation", "shortTitle",
             "language", "libraryCatalog", "callNumber", "rights", "extra"},
    "bookSection": {"title", "abstractNote", "bookTitle", "series", "seriesNumber", "volume", "numberOfVolumes",
                    "edition", "date", "publisher", "place", "originalDate", "originalPublisher", "originalPlace",
                    "medium", "pages", "ISBN", "DOI", "citationKey", "url", "accessDate", "ISSN", "archive",
                    "archiveLocation", "shortTitle", "language", "libraryCatalog", "callNumber", "rights",
                    "extra"},
}
BASE_FIELDS = {"bookSection": {"publicationTitle": "bookTitle"}}     # a base field saved as the type's own


class _Meta(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, str, bool]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "meta":
            a = dict(attrs)
            key = a.get("name") or a.get("property")
            if key and a.get("content"):
                self.tags.append((key, a["content"], bool(a.get("name"))))


def meta_tags(html: str) -> list[tuple[str, str, bool]]:
    """The page's ``<meta>`` tags as (name or property, content, has a name), in document order."""
    parser = _Meta()
    parser.feed(html)
    return parser.tags


def _all(tags, suffix: str) -> list[str]:
    """Embedded Metadata's ``meta[name$=suffix]``: the values of the tags whose *name* ends with ``suffix``."""
    return [v for n, v, by_name in tags if by_name and n.endswith(suffix)]


def _first(tags, suffix: str) -> str | None:
    """getContentText: the first of them."""
    return next(iter(_all(tags, suffix)), None)


def clean_author(author: str, creator_type: str, use_comma: bool) -> dict:
    """ZU.cleanAuthor (zotero/utilities utilities.js), without its handling of initials, which the book's names
    do not need: a name as {firstName, lastName, creatorType}, never with a fieldMode. The first name's first
    dash (hyphen, en dash, ...) becomes a hyphen without spaces around it."""
    author = re.sub(r"^[\s\u00a0.,/\[\]:]+", "", author)
    author = re.sub(r"[\s\u00a0.,/\[\]:]+$", "", author)
    author = re.sub(r"[\s\u00a0]+", " ", author, count=1)
    first = None
    if use_comma:
        parts = re.split(r"[,،] ?", re.sub(r"\.([^ ])", r". \1", author, count=1))
        last = parts[0]
        if len(parts) > 1:
            first = parts[1]
    else:
        index = len(author)
        while True:         # the last space before a word that starts with a letter
            index = author.rfind(" ", 0, index)
            last, first = author[index + 1:], author[:index] if index > 0 else ""
            if last[:1].isalpha() or index <= 0:
                break
    if first:
        first = re.sub(r"\s*([\u002d\u00ad\u2010-\u2015\u2212\u2e3a\u2e3b])\s*", "-",
                       first.strip(" .").rstrip(" ,"), count=1)
        first = re.sub(r"[\s.]+", " ", first).strip()
    return {"firstName": first or None, "lastName": last, "creatorType": creator_type}


def fix_case(name: str) -> str:
    """Embedded Metadata's fixCase: a name all in upper or all in lower case gets capitals (ZU.capitalizeTitle)."""
    if name == name.upper() or name == name.lower():
        return " ".join(w[:1].upper() + w[1:].lower() for w in name.split(" "))
    return name


def highwire_creators(values: list[str], role: str, language: str | None) -> list[dict]:
    """processHighwireCreators: one tag may hold several names (';', or ',' between two-word names)."""
    out, previous = [], None
    for value in values:
        names = re.split(r"\s*;\s*", value)
        if len(names) == 1 and len(values) == 1:
            by_comma = re.split(r"\s*,\s*", names[0])
            spanish = (len(by_comma) == 2 and language in ("es", "spa", "Spanish", "español")
                       and len(by_comma[0].split(" ")) == 2)
            if len(by_comma) > 1 and " " in by_comma[0] and " " in by_comma[1] and not spanish:
                names = by_comma
        for name in names:
            name = name.strip()
            if not name or not re.search(r"[^\s,\-.;]", name) or name == previous:
                continue
            previous = name
            creator = clean_author(name, role, "," in name)
            if creator["firstName"]:
                creator["firstName"], creator["lastName"] = fix_case(creator["firstName"]), \
                    fix_case(creator["lastName"])
            out.append(creator)
    return out


def _rdf_statements(tags) -> dict[str, list[str]]:
    """The meta tags Embedded Metadata hands to RDF.js, as {"prefix:property": [literal values]}."""
    out: dict[str, list[str]] = {}
    for name, value, _by_name in tags:
        for tag in name.split():
            parts = re.split(r"[.:_]", tag)
            prefix, length = None, 0
            if len(parts) > 2 and parts[1].lower() in RDF_PREFIXES:
                prefix, length = parts[1].lower(), len(parts[0]) + len(parts[1]) + 1
            if prefix is None and parts[0].lower() in RDF_PREFIXES:
                prefix, length = parts[0].lower(), len(parts[0])
            if prefix is None:
                continue
            prop = tag[length + 1:]
            prop = prop[:1].lower() + prop[1:]
            out.setdefault(f"{prefix}:{prop}", []).append(value)
    return out


def _rdf_type(rdf: dict, default: str | None) -> str | None:
    """RDF.js detectType for literal statements: z:itemType, og:type, dc:type (the parts the book can meet)."""
    zotero = (rdf.get("z:itemType") or rdf.get("z:type") or [None])[0]
    og = {"book": "book", "website": "webpage"}.get((rdf.get("og:type") or [None])[0])
    og_guess = "journalArticle" if (rdf.get("og:type") or [None])[0] == "article" else None
    dc_value = (rdf.get("dc:type") or [None])[0]
    dc = dc_value if dc_value in ITEM_FIELDS else None
    dc_guess = "journalArticle" if dc_value and dc_value.lower() == "text" else None
    return zotero or og or dc or default or og_guess or dc_guess


@dataclass
class Saved:
    """An item as Zotero saves it: its type, fields, creators (as ``Zotero.Creators.cleanData`` keeps them),
    attachments, and the fields the type does not have (which Zotero does not keep in their own place)."""
    item_type: str
    fields: dict[str, str]
    creators: list[dict]
    attachments: list[dict]
    not_in_type: dict[str, str] = field(default_factory=dict)

    def api_names(self) -> list[dict]:
        """itemToAPIJSON (utilities_item.js), the form in which translation-server and saves to zotero.org
        pass creators on: a name without a first name is one field (``name``)."""
        return [{"name": c["lastName"]} if not c["firstName"] or c["fieldMode"] == 1
                else {"firstName": c["firstName"], "lastName": c["lastName"]} for c in self.creators]

    def csl_names(self) -> list[dict]:
        """itemToCSLJSON (zotero/utilities utilities_item.js): how a citation style receives the creators."""
        return [{"literal": c["lastName"]} if c["fieldMode"] == 1 and not c["firstName"]
                else {"family": c["lastName"], "given": c["firstName"]} for c in self.creators]


def save(html: str, page_url: str) -> Saved:
    """What Zotero's "Save to Zotero" makes of a page of the book (Embedded Metadata, then the item saver)."""
    tags = meta_tags(html)
    rdf = _rdf_statements(tags)
    hw_type = guess = None
    for name, _value, _by_name in tags:
        short = name[name.rfind("citation_"):] if "citation_" in name else name
        if short in HW_TYPE:
            hw_type = HW_TYPE[short]
        elif short in ("citation_title", "citation_series_title"):
            guess = guess or "journalArticle"
        elif short == "citation_isbn":
            guess = "book"
    item_type = hw_type or _rdf_type(rdf, guess) or "webpage"

    item: dict[str, str] = {}
    # RDF.js first (its item is then completed by the Highwire tags)
    edition = next((rdf[p][0] for p in RDF_EDITION if rdf.get(p)), None)
    if edition:
        item["edition"] = item["versionNumber"] = edition
    rights = next((rdf[p][0] for p in RDF_RIGHTS if rdf.get(p)), None)
    if rights:
        item["rights"] = rights
    rdf_title = next((rdf[p][0] for p in ("dc:title", "dcterms:title", "og:title") if rdf.get(p)), None)
    if rdf_title:
        item["title"] = rdf_title
    rdf_creators = [clean_author(v, "author", "," in v) for p in ("dc:creator", "dcterms:creator")
                    for v in rdf.get(p, [])]
    for tag, zotero_field in HIGHWIRE_MAPPINGS.items():
        value = ", ".join(_all(tags, tag)) if zotero_field in ("ISBN", "ISSN") else _first(tags, tag)
        if value and value.strip():
            item[zotero_field] = " ".join(value.split())
    creators = highwire_creators(_all(tags, "citation_author") or _all(tags, "citation_authors"), "author",
                                 _first(tags, "citation_language")) or rdf_creators
    if "date" not in item and _first(tags, "citation_online_date"):
        item["date"] = _first(tags, "citation_online_date")
    pdf = _all(tags, "citation_pdf_url")
    attachments = ([{"title": "Full Text PDF", "url": pdf[0], "mimeType": "application/pdf"}] if pdf
                   else [{"title": "Snapshot", "url": page_url, "mimeType": "text/html"}])
    if "url" not in item:
        item["url"] = _first(tags, "citation_abstract_html_url") or _first(tags, "citation_fulltext_html_url") \
            or page_url
    item["libraryCatalog"] = urlsplit(page_url).netloc

    # the item saver: creators as Zotero.Creators.cleanData keeps them; fields by the type's schema
    saved_creators = [{"firstName": (c.get("firstName") or "").strip(), "lastName": (c.get("lastName") or "").strip(),
                       "fieldMode": 1 if c.get("fieldMode") else 0, "creatorType": c["creatorType"]}
                      for c in creators if c.get("firstName") or c.get("lastName")]
    fields, other = {}, {}
    valid = ITEM_FIELDS.get(item_type, set())
    for name, value in item.items():
        name = BASE_FIELDS.get(item_type, {}).get(name, name)
        (fields if name in valid else other)[name] = value
    return Saved(item_type, fields, saved_creators, attachments, other)
