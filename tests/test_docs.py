"""The manual's examples really run: README.md and every page of docs/ (docs/index.md says how).

- `console` blocks: each `$ policycheck ...` command runs on its own from the repository's root
  (through bash, so that `|| echo "exit status $?"` can show a failure's status); its output must
  match, `...` standing for any text.
- `shell-session` blocks: all of a page's, in order, in one bash, in a scratch folder holding a copy
  of rules/ and examples/, beside a real `policycheck serve` (`localhost:8000` in a command is that
  server; one key per role in $AGENT_KEY, $SUPERVISOR_KEY, $QUALITY_KEY, $LEGAL_KEY, $ADMIN_KEY,
  and $KEY for the agent). An output that is JSON is compared as JSON, `"…"` standing for any value.
- `python` blocks are doctests; `policy` blocks quote a shipped rule file; `sh` blocks are set-up
  commands (installing, serving, benchmarks), not run here, but every verb and option they name
  exists.

The design and domain notes (docs/design.md, docs/domain.md) are quoted as written: their snippets
illustrate and are not run, but their links are checked like every page's.
"""

from __future__ import annotations

import contextlib
import doctest
import functools
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOTES = ("design.md", "domain.md")
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
MANUAL = [page for page in PAGES if page.name not in NOTES]
BIN = Path(sys.executable).parent
BLOCK = re.compile(r"^( *)```([\w-]*)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
HEREDOC = re.compile(r"<<-?\s*'?(\w+)'?")
ROLES = ("agent", "supervisor", "quality", "legal", "admin")
ANY = "…"  # a JSON value in a documented output that changes from run to run


def name(page: Path) -> str:
    return str(page.relative_to(ROOT))


def blocks(page: Path, language: str) -> list[str]:
    """Fenced code blocks of a page in `language`, dedented."""
    found = []
    for indent, lang, body in BLOCK.findall(page.read_text(encoding="utf-8")):
        if lang == language:
            found.append("\n".join(line[len(indent) :] for line in body.splitlines()))
    return found


def incomplete(command: str) -> bool:
    """Whether a shell command continues on the next line (open quote, backslash, here-document)."""
    heredoc = HEREDOC.search(command)
    if heredoc:
        return re.search(rf"^{heredoc.group(1)}$", command, re.MULTILINE) is None
    try:
        shlex.split(command)
    except ValueError:
        return True
    return False


def commands(body: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs of a `console` or `shell-session` block."""
    pairs: list[tuple[str, str]] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        command = lines[i][2:]
        i += 1
        while incomplete(command) and i < len(lines):
            command += "\n" + lines[i]
            i += 1
        output = []
        while i < len(lines) and not lines[i].startswith("$ "):
            output.append(lines[i])
            i += 1
        pairs.append((command, "\n".join(output).rstrip("\n")))
    return pairs


def fits(got: Any, want: Any) -> bool:
    """Whether JSON `got` is `want`, where `want` may say "…" for any value."""
    if want == ANY:
        return True
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and got.keys() == want.keys()
            and all(fits(got[key], value) for key, value in want.items())
        )
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(fits(a, b) for a, b in zip(got, want, strict=True))
        )
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    return bool(got == want)


def matches(got: str, expected: str) -> bool:
    """Whether a command's output is the documented one (JSON as JSON; `...` any text)."""
    got, expected = got.rstrip("\n"), expected.rstrip("\n")
    if expected.startswith(("{", "[")):
        try:
            want = json.loads(expected)
        except ValueError:
            pass
        else:
            try:
                return fits(json.loads(got), want)
            except ValueError:
                return False
    checker = doctest.OutputChecker()
    return checker.check_output(expected + "\n", got + "\n", doctest.ELLIPSIS)


def expect(command: str, expected: str, got: str, status: int) -> None:
    """The output is the documented one; the command exits 2 for bad input (`policycheck: error:`),
    else 0 (a page shows any other failure's status with `|| echo "exit status $?"`)."""
    shown = f"$ {command}\n--- documented\n{expected}\n--- got (exit status {status})\n{got}"
    assert matches(got, expected), shown
    assert status == (2 if "policycheck: error:" in expected else 0), shown


def shell_env(**extra: str) -> dict[str, str]:
    """The environment examples run in: this venv's `policycheck` first on the PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYCHECK_")}
    return {**env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", **extra}


def console_examples() -> list[Any]:
    return [
        pytest.param(command, expected, id=f"{name(page)}: {command[:60]}")
        for page in MANUAL
        for body in blocks(page, "console")
        for command, expected in commands(body)
    ]


@pytest.mark.parametrize(("command", "expected"), console_examples())
def test_console_example(command: str, expected: str) -> None:
    assert command.startswith("policycheck "), "a console block runs the CLI from the root"
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=shell_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    expect(command, expected, result.stdout + result.stderr, result.returncode)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(folder: Path, env: dict[str, str]) -> Iterator[int]:
    """`policycheck serve` in `folder` on a free loopback port, stopped at the end."""
    port = free_port()
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "policycheck"), "serve", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        ready = ["curl", "-sf", "-o", "/dev/null", f"http://127.0.0.1:{port}/readyz"]
        deadline = time.monotonic() + 60  # a generous bound, reached only when it fails
        while subprocess.run(ready, check=False).returncode != 0:
            assert process.poll() is None, (folder / "serve.log").read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.1)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def here(text: str, port: int) -> str:
    """A documented command or output with the documented address made the test server's."""
    return re.sub(r"(localhost|127\.0\.0\.1):8000", f"127.0.0.1:{port}", text)


MARK = "\x1e"  # ends each command's output in the session's transcript, with its exit status


def session_pages() -> list[Any]:
    return [pytest.param(p, id=name(p)) for p in MANUAL if blocks(p, "shell-session")]


@pytest.mark.parametrize("page", session_pages())
def test_shell_session(page: Path, tmp_path: Path) -> None:
    missing = [tool for tool in ("bash", "curl", "jq", "sqlite3") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the shell sessions need {', '.join(missing)}")
    for folder in ("rules", "examples"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    keys = {role: f"{role}-docs-{secrets.token_hex(12)}" for role in ROLES}
    env = shell_env(
        POLICYCHECK_API_KEYS=",".join(f"{role}:{key}" for role, key in keys.items()),
        KEY=keys["agent"],
        **{f"{role.upper()}_KEY": key for role, key in keys.items()},
    )
    steps = [pair for body in blocks(page, "shell-session") for pair in commands(body)]
    with serving(tmp_path, env) as port:
        steps = [(here(command, port), here(expected, port)) for command, expected in steps]
        script = "exec 2>&1\n" + "".join(
            f"{command}\nprintf '\\n{MARK}%s\\n' \"$?\"\n" for command, _ in steps
        )
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    pieces = result.stdout.split(MARK)
    assert len(pieces) == len(steps) + 1, result.stdout
    for i, (command, expected) in enumerate(steps):
        output = pieces[i] if i == 0 else pieces[i].split("\n", 1)[1]
        expect(command, expected, output, int(pieces[i + 1].split("\n", 1)[0]))


def python_examples() -> list[Any]:
    return [
        pytest.param(page, session, id=f"{name(page)}#{n}")
        for page in MANUAL
        for n, session in enumerate(blocks(page, "python"))
    ]


@pytest.mark.parametrize(("page", "session"), python_examples())
def test_python_example(page: Path, session: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    test = doctest.DocTestParser().get_doctest(session, {}, name(page), str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    result = runner.run(test)
    assert (result.failed, result.attempted >= 2) == (0, True)


def policy_excerpts() -> list[Any]:
    return [
        pytest.param(excerpt, id=f"{name(page)}#{n}")
        for page in MANUAL
        for n, excerpt in enumerate(blocks(page, "policy"))
    ]


@pytest.mark.parametrize("excerpt", policy_excerpts())
def test_policy_excerpt_quotes_a_shipped_rule_file(excerpt: str) -> None:
    shipped = {
        line.strip()
        for path in sorted((ROOT / "rules").glob("*.policy"))
        for line in path.read_text(encoding="utf-8").splitlines()
    }
    for line in filter(None, (line.strip() for line in excerpt.splitlines())):
        if line == "...":
            continue
        if "..." in line:
            start = line.split("...")[0].rstrip()
            assert any(s.startswith(start) for s in shipped), line
        else:
            assert line in shipped, line


@functools.cache
def verb_names() -> list[str]:
    """The verbs `policycheck --help` lists (argparse's sub-commands, under its positional
    arguments)."""
    top = subprocess.run([str(BIN / "policycheck"), "--help"], capture_output=True, text=True)
    section = top.stdout.split("positional arguments:\n", 1)[1].split("\n\n", 1)[0]
    listed = re.findall(r"^ {4}([a-z][\w-]*)", section, re.MULTILINE)
    assert {"check", "eval", "serve", "audit"} <= set(listed), top.stdout
    return listed


@functools.cache
def verbs() -> dict[str, str]:
    """Each verb of `policycheck --help` with its own `--help`."""
    helps = {}
    for verb in verb_names():
        result = subprocess.run([str(BIN / "policycheck"), verb, "--help"], capture_output=True)
        helps[verb] = result.stdout.decode()
    return helps


def setup_blocks() -> list[Any]:
    return [
        pytest.param(block, id=f"{name(page)}#{n}")
        for page in MANUAL
        for n, block in enumerate(blocks(page, "sh"))
    ]


@pytest.mark.parametrize("block", setup_blocks())
def test_setup_commands_name_real_verbs_options_and_scripts(block: str) -> None:
    helps = verbs()
    for verb, rest in re.findall(r"\bpolicycheck ([a-z][\w-]*)([^|&;\n]*)", block):
        assert verb in helps, verb
        for option in re.findall(r"(--[\w-]+)", rest):
            assert option in helps[verb], f"{verb} {option}"
    for script in re.findall(r"\b(benchmarks/\w+\.py)", block):
        assert (ROOT / script).is_file(), script


def without_code(text: str) -> str:
    """A page's text without its fenced blocks and inline code (no link or heading in them)."""
    text = BLOCK.sub("", text)
    return re.sub(r"`[^`\n]*`", "", text)


def github_slug(heading: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def mkdocs_slug(heading: str) -> str:
    """Python-Markdown's toc slugify (what mkdocs makes of the same heading)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def headings(page: Path) -> list[str]:
    return re.findall(r"^#{1,6} +(.+?) *#*$", BLOCK.sub("", page.read_text(encoding="utf-8")), re.M)


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?: \"[^\"]*\")?\)")


def links() -> list[Any]:
    return [
        pytest.param(page, target, id=f"{name(page)} -> {target}")
        for page in PAGES
        for target in LINK.findall(without_code(page.read_text(encoding="utf-8")))
        if not re.match(r"[a-z]+:", target)  # an address on the web, not a file
    ]


@pytest.mark.parametrize(("page", "target"), links())
def test_relative_link_resolves_inside_the_repository(page: Path, target: str) -> None:
    path, _, anchor = target.partition("#")
    resolved = (page.parent / path).resolve() if path else page
    assert resolved.is_relative_to(ROOT), f"{target} points outside the repository"
    assert resolved.exists(), f"{target}: no such file"
    if anchor:
        assert resolved.suffix == ".md", target
        titles = headings(resolved)
        assert anchor in {github_slug(title) for title in titles}, f"{target}: no such heading"
        assert anchor in {mkdocs_slug(title) for title in titles}, f"{target}: not so in mkdocs"


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_every_code_fence_is_closed(page: Path) -> None:
    fences = re.findall(r"^ *```", page.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(fences) % 2 == 0
    assert len(BLOCK.findall(page.read_text(encoding="utf-8"))) == len(fences) // 2


def test_nothing_points_outside_the_repository() -> None:
    outside = ("../" + "shared", "shared/" + "DESIGN", *(n + ".md" for n in ("DESIGN", "STYLE")))
    files = [*PAGES, ROOT / "mkdocs.yml"]
    for folder, pattern in (("rules", "*.policy"), ("tests", "*.py"), ("examples", "*")):
        files += sorted((ROOT / folder).rglob(pattern))
    for path in files:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        assert not [word for word in outside if word in text], path


def test_mkdocs_nav_lists_every_page_and_only_existing_ones() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = re.search(r"^nav:\n((?:[ -].*\n?)*)", config, re.MULTILINE)
    assert nav is not None
    listed = re.findall(r"([\w/.-]+\.md)\s*$", nav.group(1), re.MULTILINE)
    assert len(listed) == len(set(listed))
    assert sorted(listed) == sorted(path.name for path in DOCS.glob("*.md"))
    assert re.search(r"^docs_dir: docs$", config, re.MULTILINE) or "docs_dir" not in config


def test_the_decision_table_lists_every_key_a_decision_carries() -> None:
    # the keys printed by docs/api.md's session, which test_shell_session checks against the server
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    section = text.split("\n## The decision JSON\n")[1].split("\n## ")[0]
    printed = [
        json.loads(output)
        for block in BLOCK.findall(section)
        for command, output in commands(block[2])
        if command.endswith("jq -c 'keys'")
    ]
    rows = re.findall(r"^\| ((?:`\w+`(?:, )?)+) \|", section, re.MULTILINE)
    assert printed[0] == sorted(key for row in rows for key in re.findall(r"`(\w+)`", row))


def test_every_module_the_architecture_names_exists() -> None:
    named = re.findall(r"^(policycheck/\S+)", (DOCS / "architecture.md").read_text("utf-8"), re.M)
    assert len(named) >= 30
    assert [path for path in named if not (ROOT / path).exists()] == []


def test_every_runnable_benchmark_is_described() -> None:
    described = (DOCS / "benchmarks.md").read_text(encoding="utf-8")
    for script in sorted((ROOT / "benchmarks").glob("*.py")):
        if "__main__" in script.read_text(encoding="utf-8"):
            assert f"benchmarks/{script.name}" in described, script.name
