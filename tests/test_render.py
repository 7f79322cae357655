"""`policycheck render`: the policy as a document for lawyers (HTML page, markdown), and the
plain-words reading of conditions it is built on."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from policycheck import load_policy
from policycheck.cli import main as cli
from policycheck.language import nodes
from policycheck.language.build import build
from policycheck.language.diagnostics import Severity
from policycheck.language.source import Source
from policycheck.language.symbols import Symbols
from policycheck.language.syntax import parse
from policycheck.policy import diagnose
from policycheck.toolkit.render import render
from policycheck.toolkit.render_words import Phrases

ROOT = Path(__file__).resolve().parents[1]
TOMTOM = ROOT / "rules" / "tomtom-fr-2012.policy"
VOID = {"meta", "br", "col", "img", "hr", "input", "link", "source", "wbr"}


@pytest.fixture(scope="module")
def tomtom_html() -> str:
    return render(Source.read(TOMTOM), "html")


@pytest.fixture(scope="module")
def tomtom_md() -> str:
    return render(Source.read(TOMTOM), "md", "en")


@pytest.fixture(scope="module")
def tomtom_html_en() -> str:
    return render(Source.read(TOMTOM), "html", "en")


class _Checker(HTMLParser):
    """Fails on a tag closed out of order or never closed; counts what the tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1:] == [tag], f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def checked(page: str) -> _Checker:
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert checker.stack == [], f"never closed: {checker.stack}"
    return checker


# -- the TomTom policy as an HTML page -------------------------------------------------------------


def test_html_quotes_each_clause_verbatim(tomtom_html: str) -> None:
    clauses = load_policy(TOMTOM).compiled.clauses
    assert len(clauses) == 2
    for clause in clauses:
        assert clause.decl.source
        assert html.escape(clause.decl.source) in tomtom_html, clause.decl.id


def test_html_reads_clause_a_in_plain_words(tomtom_html_en: str) -> None:
    page = tomtom_html_en
    assert (
        html.escape("Cancellation requests for “hardware” (the product category is device or ")
        in page
    )
    assert (
        "The date of the request is no later than 14 jours ouvrables after the delivery date, and "
        "the device has not been used since delivery." in page
    )
    requirement = (
        "Original packaging kept: yes. If not, the refusal is formal and an agent may waive it"
    )
    assert html.escape(requirement) in page
    assert (
        "An agent may waive a refusal when the request is late by at most 3 jours ouvrables."
        in page
    )
    assert "Refused (implied: the opposite of the last rule)." in page
    calendar = (
        "Monday to Saturday, closed on the public holidays of France in the region given by the "
        "delivery postcode"
    )
    assert calendar in page


def test_a_french_policy_is_rendered_in_french(tomtom_html: str) -> None:
    page = checked(tomtom_html)
    assert page.named("html") == [{"lang": "fr"}]
    for heading in (
        "<h2>Faits que l&#x27;agent peut demander</h2>",
        "<h2>Calendriers et définitions</h2>",
        "<h2>Clauses</h2>",
        "<h2>Exemples commentés</h2>",
        "<h4>Les conditions, mot pour mot</h4>",
        "<h4>Lecture formelle</h4>",
    ):
        assert heading in tomtom_html, heading
    assert (
        "La date de la demande tombe au plus tard 14 jours ouvrables après la date de livraison "
        "et appareil utilisé depuis la livraison : non." in tomtom_html
    )
    assert "Un agent peut lever un refus quand la demande est en retard d&#x27;au plus 3 jours" in (
        tomtom_html
    )
    assert "du lundi au samedi, fermé les jours fériés de France" in tomtom_html
    for english in ("Facts the agent may be asked", "Formal reading", "When did", "Refused"):
        assert english not in tomtom_html, english


def test_render_language_chooses_the_document_language() -> None:
    french = render(Source.read(TOMTOM), "md", "fr")
    english = render(Source.read(TOMTOM), "md", "en")
    assert "## Faits que l'agent peut demander" in french
    assert "## Facts the agent may be asked" in english
    assert "When did the customer ask?" in english  # the fact's English question
    assert "Quel jour le client a-t-il fait sa demande ?" in french
    assert render(Source.read(TOMTOM), "md") == french  # the policy's language by default


def test_html_lists_every_fact_question_and_example(tomtom_html: str) -> None:
    rule_file = _rule_file(TOMTOM.read_text(encoding="utf-8"))
    assert rule_file.facts
    assert rule_file.examples
    for fact in rule_file.facts:
        assert fact.question
        assert html.escape(fact.question) in tomtom_html, fact.name
    for example in rule_file.examples:
        assert html.escape(example.name) in tomtom_html, example.name
    assert f"{len(rule_file.examples)} exemples commentés, vérifiés sur la politique : tous " in (
        tomtom_html
    )


def test_html_loads_nothing_from_the_network(tomtom_html: str) -> None:
    # The terms may quote an address as text (clause a: "http://www.tomtom.com/support");
    # no attribute may point anywhere.
    assert not re.search(r"""\b(src|href|action|srcset)\s*=\s*["']?\s*(https?:)?//""", tomtom_html)
    for forbidden in ("<link", "<script", "url(", "@import", "<img", "<iframe"):
        assert forbidden not in tomtom_html.lower(), forbidden


def test_html_is_well_formed_with_one_h1_and_scoped_headers(tomtom_html: str) -> None:
    page = checked(tomtom_html)
    assert len(page.named("h1")) == 1
    assert page.named("html") == [{"lang": "fr"}]
    assert all(th.get("scope") in ("col", "row") for th in page.named("th"))
    ids = [attrs["id"] for _, attrs in page.tags if "id" in attrs]
    assert len(ids) == len(set(ids))
    # the terms are quoted in the policy's language, marked as such
    assert {"lang": "fr"} in page.named("blockquote")
    assert page.named("details"), "the raw formal text is kept in a <details>"


# -- markdown --------------------------------------------------------------------------------------


def test_markdown_has_a_table_of_examples(tomtom_md: str) -> None:
    lines = tomtom_md.splitlines()
    head = lines.index("| Example | Facts given | Agent's proposal | Expected | Passes now |")
    assert lines[head + 1] == "| --- | --- | --- | --- | --- |"
    rows = [line for line in lines[head + 2 :] if line.startswith("| ")]
    examples = load_policy(TOMTOM).examples
    assert len(rows) == len(examples)
    assert all(row.endswith("| ✓ passes |") for row in rows)
    assert "## Facts the agent may be asked" in tomtom_md
    assert tomtom_md.count("### Clause ") == 2


# -- escaping and failing examples -----------------------------------------------------------------

HOSTILE = """
policy hostile "Terms <b>bold</b> & co"
  language en
facts
  request.kind: one of cancellation  "Is it <i>really</i> a cancellation?"
  request.date: date
  order.date: date
clause x "A | B"
  source "Cancel within 14 days <script>alert('x')</script> & \\"quoted\\" | piped"
  applies to cancellation
  allow when request.date within 14 days after order.date
example "late | <b>refused</b>"
  given request.kind = cancellation, request.date = 2024-03-01, order.date = 2024-01-01
  expect allow under x
"""


def test_everything_is_escaped_and_a_failing_example_says_so() -> None:
    page = render(Source("hostile.policy", HOSTILE), "html")
    checked(page)
    for tag in ("<script", "<b>", "<i>"):
        assert tag not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in page
    assert "late | &lt;b&gt;refused&lt;/b&gt;" in page
    assert "✗ fails: expected allow under x, got refuse under x" in page
    assert "1 worked example, run against the policy: 0 pass, 1 fail." in page
    markdown = render(Source("hostile.policy", HOSTILE), "md")
    assert "late \\| \\<b\\>refused\\</b\\>" in markdown
    assert "\\<script\\>alert('x')\\</script\\> \\& \"quoted\" \\| piped" in markdown
    prose = re.sub(r"```text\n.*?\n```", "", markdown, flags=re.DOTALL)
    raw_tags = re.findall(r"(?<!\\)</?[a-z]+", prose)
    assert set(raw_tags) == {"<details", "</details", "<summary", "</summary"}


# -- conditions in plain words ---------------------------------------------------------------------

MINI = """
policy mini "Mini"
calendar shop_days: monday to friday, closed on public holidays of FR
facts
  request.kind: one of cancellation
  request.date: date
  order.date: date
  order.total: money
  order.channel: one of web, shop, phone_line
  customer.code: text
  product.used: bool "Has the product been used?"
  service.activated: bool
  product.original_packaging: bool
  customer.member: bool "Is the customer a member?"
group online: order.channel in [web, phone_line]
"""


def _rule_file(text: str) -> nodes.RuleFile:
    source = Source(str(TOMTOM), text)  # beside the shipped rules: the law beneath TomTom's terms
    compiled, diagnostics = diagnose(source)
    assert compiled is not None, [d.message for d in diagnostics]
    assert not [d for d in diagnostics if d.severity is Severity.ERROR]
    tree, _ = parse(source)
    assert tree is not None
    rule_file, _ = build(tree, source)
    return rule_file


def words(condition: str) -> str:
    rule_file = _rule_file(MINI + f"group tested: {condition}\n")
    return Phrases(Symbols.of(rule_file)).condition(rule_file.groups[-1].expr)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("order.channel in [web, shop]", "the order channel is web or shop"),
        ("not order.channel in [web, shop]", "the order channel is neither web nor shop"),
        ("order.channel = phone_line", "the order channel is phone line"),
        ("order.channel != shop", "the order channel is not shop"),
        ("order.total >= 100", "the order total is at least 100"),
        ("100 > order.total", "the order total is less than 100"),
        ("request.date < 2024-01-01", "the request date is before 1 January 2024"),
        ("not request.date < 2024-01-01", "the request date is on or after 1 January 2024"),
        ('customer.code = "A1"', "the customer code is “A1”"),
        ("customer.code is known", "the customer code is known"),
        ("customer.code is unknown", "the customer code is not known"),
        ("not product.used", "the product has not been used"),
        ("product.used = false", "the product has not been used"),
        ("service.activated", "the service has been activated"),
        ("product.original_packaging", "product original packaging: yes"),
        ("not customer.member", "customer member: no"),
        (
            "request.date within 14 days after order.date",
            "the request date is no later than 14 days after the order date",
        ),
        (
            "not request.date within 2 shop_days before order.date",
            "the request date is less than 2 business days (“shop days” calendar) before the "
            "order date",
        ),
        (
            "not product.used and (service.activated or customer.code is known)",
            "the product has not been used, and either the service has been activated or the "
            "customer code is known",
        ),
        (
            "not (product.used or service.activated)",
            "the product has not been used, and the service has not been activated",
        ),
        (
            "product.used or service.activated or order.total > 5",
            "the product has been used, the service has been activated, or the order total is "
            "more than 5",
        ),
        (
            "online and not (product.used and (service.activated or customer.code is known))",
            "(a) the “online” condition is met; and (b) one of: (i) the product has not been "
            "used; or (ii) all of: (A) the service has not been activated; and (B) the customer "
            "code is not known",
        ),
        (
            "not online",
            "the “online” condition is not met",
        ),
        (
            "request.date on or before 2010-01-31",
            "the request date is no later than 31 January 2010",
        ),
        (
            "request.date on or before 31 january of the year after order.date",
            "the request date is no later than 31 January of the year after the order date",
        ),
        (
            "not request.date on or before the later of 30 days after order.date and 1 March of "
            "the year of order.date",
            "the request date is later than the later of 30 days after the order date and 1 "
            "March of the year of the order date",
        ),
        (
            "request.date on or before the earlier of 2 shop_days after order.date and 2026-01-31",
            "the request date is no later than the earlier of 2 business days (“shop days” "
            "calendar) after the order date and 31 January 2026",
        ),
        (
            "order.date between 1 november and 24 december",
            "the order date falls between 1 November and 24 December (of any year, both included)",
        ),
        (
            "not order.date between 15 december and 15 january",
            "the order date does not fall between 15 December and 15 January (of any year, both "
            "included)",
        ),
    ],
)
def test_conditions_in_plain_words(condition: str, expected: str) -> None:
    assert words(condition) == expected


# -- the command -------------------------------------------------------------------------------


def test_cli_writes_the_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tomtom.html"
    assert cli.main(["render", str(TOMTOM), "--output", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert cli.main(["render", str(TOMTOM), "--format", "md"]) == 0
    assert capsys.readouterr().out.startswith("# TomTom — conditions générales de vente")


def test_cli_broken_rule_file_exits_1_with_diagnostics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.policy"
    text = TOMTOM.read_text(encoding="utf-8")
    broken.write_text(text.replace("after delivery.date", "after delivery.dat"), encoding="utf-8")
    out = tmp_path / "never.html"
    assert cli.main(["render", str(broken), "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert "error[PC201]: unknown fact `delivery.dat`" in err
    assert re.search(r"broken\.policy: cannot be rendered", err)
    assert not out.exists()


def test_cli_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["render", str(tmp_path / "nowhere.policy")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("policycheck: error: cannot read `")
    assert err.count("\n") == 1


@pytest.mark.parametrize("path", sorted((ROOT / "rules").glob("*.policy")), ids=lambda p: p.stem)
def test_every_shipped_rule_file_renders(path: Path) -> None:
    page = checked(render(Source.read(path), "html"))
    assert len(page.named("h1")) == 1
    assert len(page.named("article")) == len(load_policy(path).compiled.clauses)
    assert render(Source.read(path), "md").startswith("# ")
