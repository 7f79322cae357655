"""Every command's `--help`: each option says what it does and its default, and the examples that
end it really run (in a scratch folder holding a copy of rules/, through bash, as a user would
paste them; `# exit N` on an example is the status it must give, else 0)."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from policycheck.cli.main import VERBS, build_parser

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STATUS = re.compile(r"#\s*exit (\d)")


def commands() -> dict[str, argparse.ArgumentParser]:
    """Every parser a user can ask `--help` of, by its command line after `policycheck`."""
    found: dict[str, argparse.ArgumentParser] = {}
    todo = [("", build_parser())]
    while todo:
        name, parser = todo.pop(0)
        found[name] = parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += [(f"{name} {verb}".strip(), sub) for verb, sub in action.choices.items()]
    return found


COMMANDS = commands()


def examples(help_text: str) -> list[str]:
    """The lines of the `examples:` section that ends a `--help`."""
    _, found, section = help_text.partition("\nexamples:\n")
    assert found, "no examples section"
    lines = []
    for line in section.splitlines():
        if not line.startswith("  "):
            break
        lines.append(line.strip())
    return lines


def shell_env() -> dict[str, str]:
    """The user's environment, this venv's `policycheck` first, no POLICYCHECK_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYCHECK_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(folder: Path, example: str) -> Iterator[None]:
    """The `serve` example running in `folder` (on a free port instead of 8000) until it answers;
    stopped with Ctrl-C (SIGINT) at the end, which must end it cleanly."""
    port = free_port()
    command = example.replace("--port 8000", f"--port {port}")
    assert command != example, "the serve example names its port"
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen(
        ["bash", "-c", command], cwd=folder, env=shell_env(), stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120  # a generous bound, reached only when it fails
        while not _answers(port):
            assert process.poll() is None, (folder / "serve.log").read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        status = process.wait(timeout=60)
        log.close()
    assert status == 0, (folder / "serve.log").read_text(encoding="utf-8")


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.mark.parametrize("name", COMMANDS, ids=lambda name: name or "policycheck")
def test_help_ends_with_examples(name: str) -> None:
    text = COMMANDS[name].format_help()
    lines = examples(text)
    assert name == "" or text.rstrip().endswith(lines[-1]), text  # the top adds where to go next
    assert any(f"policycheck {name}".strip() + " " in f"{line} " for line in lines), lines


@pytest.mark.parametrize("name", COMMANDS, ids=lambda name: name or "policycheck")
def test_every_argument_says_what_it_does_and_its_default(name: str) -> None:
    parser = COMMANDS[name]
    text = parser.format_help()
    assert "(default: None)" not in text
    assert "(default: [])" not in text
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.default == argparse.SUPPRESS:
            continue  # the list of verbs; --help, --version
        assert action.help, f"{name} {action.dest}: no help"
        if action.option_strings:
            shown = parser._get_formatter()._get_help_string(action)
            assert "default: " in shown or "(required)" in shown, f"{name} {action.dest}"


@pytest.mark.parametrize("name", COMMANDS, ids=lambda name: name or "policycheck")
def test_every_example_runs(name: str, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    lines = examples(COMMANDS[name].format_help())
    if name.startswith("audit"):  # the logs to verify are the ones `serve` made
        with serving(tmp_path, examples(COMMANDS["serve"].format_help())[0]):
            pass
    for line in lines:
        if line.startswith("policycheck serve"):
            with serving(tmp_path, line):
                continue
        result = subprocess.run(
            ["bash", "-c", line], cwd=tmp_path, env=shell_env(), capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        wanted = STATUS.search(line)
        assert result.returncode == (int(wanted.group(1)) if wanted else 0), (line, result.stderr)
        assert "Traceback" not in result.stderr, (line, result.stderr)


def test_the_examples_that_write_files_wrote_them(tmp_path: Path) -> None:
    # render --output, eval's request.json, diff's amendment: the examples did something real
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    for name in ("render", "diff"):
        for line in examples(COMMANDS[name].format_help()):
            subprocess.run(["bash", "-c", line], cwd=tmp_path, env=shell_env(), check=False)
    assert (tmp_path / "tomtom.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "23 of 47 examples change" in (tmp_path / "changes.md").read_text(encoding="utf-8")


def test_each_verb_module_registers_its_own_verb() -> None:
    modules = {path.stem for path in (ROOT / "policycheck" / "cli").glob("*.py")}
    verbs = {verb.__name__.rsplit(".", 1)[1] for verb in VERBS}
    assert modules - {"__init__", "main", "common"} == verbs
    assert set(COMMANDS) >= verbs


@pytest.mark.parametrize("verb", [verb.__name__ for verb in VERBS])
def test_verbs_share_their_helpers_instead_of_copying_them(verb: str) -> None:
    # exit statuses, reading rule files and JSON, printing JSON and diagnostics: cli/common.py
    text = (ROOT / Path(*verb.split("."))).with_suffix(".py").read_text(encoding="utf-8")
    for copied in ("EXIT_OK =", "EXIT_USAGE =", "json.dumps", "json.loads", "Source.read",
                   "render_text", "sys.stdin", "class InputError"):  # fmt: skip
        assert copied not in text, f"{verb}: {copied}"
