"""A rendered policy document as one self-contained HTML page, or as GitHub-flavoured markdown.

The page has inline CSS only: no script, no font or stylesheet from the network. Every piece of
text is escaped; text in the policy's language carries its `lang` (the page's own words are in
the document's language: `Document.words_language`).
"""

from __future__ import annotations

import html
import re

from policycheck.toolkit.document import ClauseView, Document, ExampleView, Line
from policycheck.toolkit.render_text import TEXTS, texts

HOW_TO_READ = TEXTS["en"]["how_to_read"]
COUNTING = TEXTS["en"]["counting"]
FOOTER = TEXTS["en"]["footer"]

_CSS = """
:root{--ink:#1b1b1b;--muted:#555;--rule:#c8c8c8;--accent:#1f4e79;--soft:#f4f4f0}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font:16px/1.55 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:72rem;margin:0 auto;padding:2rem 1.5rem 3rem}
h1{font-size:1.9rem;line-height:1.25;margin:.2rem 0 1rem}
h2{font-size:1.35rem;color:var(--accent);margin:2.5rem 0 .8rem;padding-bottom:.2rem;
border-bottom:2px solid var(--accent)}
h3{font-size:1.15rem;margin:0 0 .8rem}
h4{font-size:.78rem;letter-spacing:.06em;text-transform:uppercase;color:var(--muted);
margin:0 0 .5rem}
.kicker{margin:0;color:var(--muted);font-size:.9rem;letter-spacing:.04em;text-transform:uppercase}
nav ol{display:flex;flex-wrap:wrap;gap:.3rem 1.4rem;list-style:none;padding:0;margin:0 0 1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.92rem}
th,td{border:1px solid var(--rule);padding:.4rem .6rem;text-align:left;vertical-align:top}
thead th{background:var(--soft)}
tbody th{font-weight:600}
table.meta{width:auto;max-width:100%}
table.meta th{background:var(--soft);white-space:nowrap}
code,pre{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Liberation Mono",monospace}
code{font-size:.82em;color:#333;word-break:break-word}
.callout{border-left:4px solid #b7791f;background:#fdf8ee;padding:.6rem 1rem;margin:1rem 0}
.callout h2{border:0;color:#7a4e0e;margin:0 0 .3rem;font-size:1rem}
.callout p{margin:.3rem 0}
dl.defs dt{font-weight:600}
dl.defs dd{margin:0 0 .8rem 1.2rem}
.clause{border:1px solid var(--rule);border-radius:6px;padding:1.1rem 1.3rem;margin:1.4rem 0}
.columns{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.6rem}
@media (max-width:52rem){.columns{grid-template-columns:minmax(0,1fr)}}
blockquote{margin:0;padding:.8rem 1rem;background:var(--soft);border-left:4px solid var(--accent);
font-family:Georgia,"Times New Roman",serif;font-size:1.08rem;line-height:1.6;hyphens:auto}
q:lang(fr){quotes:"« " " »" "“" "”"}
.reading dl{margin:0}
.reading dt{font-weight:600;margin-top:.55rem}
.reading dd{margin:0}
.reading ul,td ul{margin:.2rem 0;padding-left:1.1rem}
.note{color:var(--muted);font-size:.9rem;margin:.3rem 0}
details{margin-top:.9rem;font-size:.85rem}
summary{cursor:pointer;color:var(--muted)}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.8rem;background:#fafafa;
border:1px solid var(--rule);padding:.6rem;margin:.4rem 0 0}
table.examples{table-layout:fixed}
table.examples col.name{width:24%}table.examples col.given{width:30%}
table.examples col.proposed{width:12%}table.examples col.status{width:11%}
ul.plain{list-style:none;padding:0;margin:0;font-size:.88rem}
@media (max-width:40rem){
main{padding:1.2rem .9rem 2rem}
table.stack,table.stack tbody,table.stack tr,table.stack th,table.stack td{display:block;width:auto}
table.stack colgroup,table.stack thead{display:none}
table.stack tr{border:1px solid var(--rule);margin:0 0 .8rem}
table.stack th,table.stack td{border:0;border-top:1px solid #e6e6e6}
table.stack tbody th{background:var(--soft);border-top:0}
table.stack td::before{content:attr(data-label);display:block;font-size:.75rem;
text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
}
.pass{color:#17622b;font-weight:600}
.fail{color:#a31515;font-weight:600}
.missing{color:#a31515}
footer{margin-top:3rem;color:var(--muted);font-size:.85rem}
@media print{
body{font-size:10pt}main{max-width:none;padding:0}nav{display:none}
.columns{grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.2rem}
h2,h3,h4,dt{break-after:avoid}tr,dd,.callout{break-inside:avoid}
thead{display:table-header-group}a{color:inherit;text-decoration:none}
details::details-content{content-visibility:visible;display:block}
}
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _lang(text: str, lang: str, tag: str = "span") -> str:
    return f'<{tag} lang="{_e(lang)}">{_e(text)}</{tag}>'


def _line_html(line: Line, lang: str, t: dict[str, str]) -> str:
    body = _e(line.text)
    if len(line.quoted) == 1:
        body += (" " if body else "") + _lang(line.quoted[0], lang, "q")
    elif line.quoted:
        body += "<ul>" + "".join(_lang(q, lang, "li") for q in line.quoted) + "</ul>"
    notes = "".join(f'<p class="note">{_e(t["note"])} {_e(n)}</p>' for n in line.notes)
    return f"<dt>{_e(line.label)}</dt><dd>{body}{notes}</dd>"


def to_html(doc: Document) -> str:
    """The document as one HTML page (UTF-8), with no external resource."""
    lang, t = doc.language, texts(doc.words_language)
    out = [
        f'<!DOCTYPE html>\n<html lang="{_e(doc.words_language)}">\n<head>\n<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(doc.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>",
        f'<header>\n<p class="kicker">{_e(t["kicker"])}</p>',
        f"<h1>{_lang(doc.title, lang)}</h1>",
        '<table class="meta"><tbody>',
    ]
    for line in doc.header:
        body = _e(line.text) or " ".join(_lang(q, lang) for q in line.quoted)
        out.append(f'<tr><th scope="row">{_e(line.label)}</th><td>{body}</td></tr>')
    out.append("</tbody></table>\n</header>")
    out.append(_nav(doc, t))
    if doc.notes:
        paragraphs = "".join(f"<p>{_e(n)}</p>" for n in doc.notes)
        out.append(f'<aside class="callout"><h2>{_e(t["notes"])}</h2>{paragraphs}</aside>')
    out.append(_facts_html(doc, t))
    out.append(f'<section id="calendars">\n<h2>{_e(t["calendars_heading"])}</h2>')
    out.append(f"<p>{_e(t['counting'])}</p>")
    for title, lines in (
        (t["calendars"], doc.calendars),
        (t["definitions"], doc.definitions),
        (t["outside"], doc.outside),
    ):
        if lines:
            items = "".join(_line_html(line, lang, t) for line in lines)
            out.append(f'<h3>{_e(title)}</h3>\n<dl class="defs">{items}</dl>')
    out.append(f'</section>\n<section id="clauses">\n<h2>{_e(t["clauses"])}</h2>')
    out.append(f"<p>{_e(t['how_to_read'])}</p>")
    out += [_clause_html(c, lang, t) for c in doc.clauses]
    out.append("</section>")
    out.append(_examples_html(doc.examples, t))
    out.append(f"<footer><p>{_e(t['footer'])}</p></footer>\n</main>\n</body>\n</html>\n")
    return "\n".join(out)


def _nav(doc: Document, t: dict[str, str]) -> str:
    links = [("facts", t["facts_nav"]), ("calendars", t["calendars_heading"])]
    links += [(f"clause-{c.id}", f"{t['clause']} {c.id}") for c in doc.clauses]
    links += [("examples", t["examples"])]
    items = "".join(f'<li><a href="#{_e(a)}">{_e(x)}</a></li>' for a, x in links)
    return f'<nav aria-label="{_e(t["contents"])}"><ol>{items}</ol></nav>'


def _table(cls: str, heads: tuple[str, ...], rows: list[list[str]], cols: str = "") -> str:
    """A table whose first cell is each row's header; cells are HTML already escaped. On a
    narrow screen each row becomes a block, every cell labelled with its column's name."""
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in heads)
    body = "".join(
        f'<tr><th scope="row">{row[0]}</th>'
        + "".join(
            f'<td data-label="{_e(h)}">{cell}</td>'
            for h, cell in zip(heads[1:], row[1:], strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f'<table class="{cls}">{cols}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _facts_html(doc: Document, t: dict[str, str]) -> str:
    rows = [
        [f"{_e(words)}<br><code>{_e(name)}</code>", _e(kind), _e(personal), _e(question)]
        for name, words, kind, personal, question in doc.facts
    ]
    table = _table("stack", (t["fact"], t["type"], t["personal"], t["question"]), rows)
    heading = _e(t["facts_heading"])
    return f'<section id="facts">\n<h2>{heading}</h2>\n{table}\n</section>'


def _clause_html(clause: ClauseView, lang: str, t: dict[str, str]) -> str:
    if clause.source:
        terms = _lang(clause.source, lang, "blockquote")
    else:
        terms = f'<p class="missing">{_e(t["no_terms"])}</p>'
    reading = "".join(_line_html(line, lang, t) for line in clause.reading)
    notes = "".join(f'<p class="note">{_e(t["note"])} {_e(n)}</p>' for n in clause.notes)
    return (
        f'<article class="clause" id="clause-{_e(clause.id)}">\n'
        f"<h3>{_e(t['clause'])} {_e(clause.id)} — {_lang(clause.title, lang)}</h3>\n"
        f'<div class="columns">\n<div class="terms"><h4>{_e(t["terms"])}</h4>{terms}</div>\n'
        f'<div class="reading"><h4>{_e(t["reading"])}</h4><dl>{reading}</dl>{notes}'
        f"<details><summary>{_e(t['formal'])}</summary>"
        f"<pre><code>{_e(clause.formal)}</code></pre></details></div>\n</div>\n</article>"
    )


def _examples_html(examples: tuple[ExampleView, ...], t: dict[str, str]) -> str:
    rows = []
    for ex in examples:
        given = '<ul class="plain">' + "".join(f"<li>{_e(g)}</li>" for g in ex.given) + "</ul>"
        expected = "<ul>" + "".join(f"<li>{_e(x)}</li>" for x in ex.expected) + "</ul>"
        status = (
            f'<span class="pass">{_e(t["passes"])}</span>'
            if ex.passed
            else f'<span class="fail">{_e(t["fails"])} {_e("; ".join(ex.failures))}</span>'
        )
        rows.append([_e(ex.name), given, _e(ex.proposed), expected, status])
    heads = (t["example"], t["given"], t["proposal"], t["expected"], t["passes_now"])
    table = _table("stack examples", heads, rows, _COLUMNS)
    summary, title = _e(_summary(examples, t)), _e(t["examples"])
    return f'<section id="examples">\n<h2>{title}</h2>\n<p>{summary}</p>\n{table}\n</section>'


_COLUMNS = (
    '<colgroup><col class="name"><col class="given"><col class="proposed"><col>'
    '<col class="status"></colgroup>'
)


def _summary(examples: tuple[ExampleView, ...], t: dict[str, str]) -> str:
    count, passed = len(examples), sum(ex.passed for ex in examples)
    if not examples:
        return t["no_examples"]
    what = t["examples_count"].format(count=count, s="s" * (count != 1))
    if passed == count:
        return t["all_pass" if count > 1 else "it_passes"].format(what=what)
    return t["some_fail"].format(what=what, passed=passed, failed=count - passed)


# -- markdown ------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#&~])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _quote(text: str, lang: str) -> str:
    return f"« {_md(text)} »" if lang == "fr" else f"“{_md(text)}”"


def _line_md(line: Line, lang: str, t: dict[str, str]) -> list[str]:
    body = _md(line.text)
    if len(line.quoted) == 1:
        body += (" " if body else "") + _quote(line.quoted[0], lang)
    out = [f"- **{_md(line.label)}{t['colon']}** {body}".rstrip()]
    if len(line.quoted) > 1:
        out += [f"  - {_quote(q, lang)}" for q in line.quoted]
    out += [f"  - *{t['note']}* {_md(n)}" for n in line.notes]
    return out


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def to_markdown(doc: Document) -> str:
    """The document in GitHub-flavoured markdown."""
    lang, t = doc.language, texts(doc.words_language)
    out = [f"# {_md(doc.title)}", "", _row([t["field"], t["value"]]), _row(["---", "---"])]
    for line in doc.header:
        value = _md(line.text) or " ".join(_md(q) for q in line.quoted)
        out.append(_row([f"**{_md(line.label)}**", value]))
    if doc.notes:
        out += ["", f"> **{t['notes']}**", ">"]
        out += [f"> {_md(n)}" for n in doc.notes]
    out += ["", f"## {t['facts_heading']}", ""]
    out += [_row([t["fact"], t["type"], t["personal"], t["question"]]), _row(["---"] * 4)]
    out += [_row([f"{_md(w)} (`{n}`)", _md(k), _md(p), _md(q)]) for n, w, k, p, q in doc.facts]
    out += ["", f"## {t['calendars_heading']}", "", _md(t["counting"])]
    for title, lines in (
        (t["calendars"], doc.calendars),
        (t["definitions"], doc.definitions),
        (t["outside"], doc.outside),
    ):
        if lines:
            out += ["", f"### {title}", ""]
            out += [text for line in lines for text in _line_md(line, lang, t)]
    out += ["", f"## {t['clauses']}", "", _md(t["how_to_read"])]
    for clause in doc.clauses:
        out += _clause_md(clause, lang, t)
    out += ["", f"## {t['examples']}", "", _md(_summary(doc.examples, t)), ""]
    out += [
        _row([t["example"], t["given"], t["proposal"], t["expected"], t["passes_now"]]),
        _row(["---"] * 5),
    ]
    for ex in doc.examples:
        status = t["passes"] if ex.passed else f"{t['fails']} " + _md("; ".join(ex.failures))
        out.append(
            _row(
                [
                    _md(ex.name),
                    "; ".join(_md(g) for g in ex.given),
                    _md(ex.proposed),
                    "; ".join(_md(x) for x in ex.expected),
                    status,
                ]
            )
        )
    out += ["", f"*{_md(t['footer'])}*", ""]
    return "\n".join(out)


def _clause_md(clause: ClauseView, lang: str, t: dict[str, str]) -> list[str]:
    out = ["", f"### {t['clause']} {_md(clause.id)} — {_md(clause.title)}", ""]
    out += [f"**{t['terms']}**", ""]
    out += [f"> {_md(clause.source)}" if clause.source else f"*{t['no_terms_md']}*"]
    out += ["", f"**{t['reading']}**", ""]
    out += [text for line in clause.reading for text in _line_md(line, lang, t)]
    out += [f"\n*{t['note']}* {_md(n)}" for n in clause.notes]
    fence = "`" * max([3, *(len(run) + 1 for run in re.findall(r"`+", clause.formal))])
    out += [
        "",
        f"<details><summary>{t['formal']}</summary>",
        "",
        f"{fence}text",
        clause.formal,
        fence,
        "",
        "</details>",
    ]
    return out
