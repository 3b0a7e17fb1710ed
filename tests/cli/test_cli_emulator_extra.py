"""The emulator is an optional part (the `emulator` extra): without it `multicodex demo`
and `multicodex emulator` print the one command that installs it and exit 1."""

from __future__ import annotations

import shlex
import sys
import tomllib
from pathlib import Path

import pytest
from cli_rig import CliRig

from multicodex.cli_commands.emulator_hint import install_command, source_from_metadata
from support.unimportable import Unimportable

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
EXTRA = PYPROJECT["project"]["optional-dependencies"]["emulator"]
# Each distribution in the extra is imported under its own name (starlette, uvicorn, ...).
MISSING = ["multicodex_emulator", *(requirement.split(">")[0] for requirement in EXTRA)]


def _without(cli: CliRig, blocked: Unimportable) -> dict[str, str]:
    return cli.env(PYTHONPATH=blocked.first_on_path)


@pytest.mark.parametrize(
    ("command", "missing"),
    # Both commands import the emulator's package first, which imports every dependency.
    [*(("demo", name) for name in MISSING), ("emulator", "multicodex_emulator")],
)
def test_without_the_emulator_the_command_names_what_installs_it(
    cli: CliRig, tmp_path: Path, command: str, missing: str
) -> None:
    blocked = Unimportable.create(tmp_path, missing)

    result = cli.run(command, env=_without(cli, blocked))

    assert blocked.attempted()
    assert result.code == 1, result
    assert result.stdout == ""
    prefix = f"multicodex {command}: the emulator is not installed; install it with: "
    line = result.one_line_error()
    assert line.startswith(prefix), line
    # This checkout's own interpreter, and this checkout with the extra: runnable as printed.
    install = shlex.split(line.removeprefix(prefix))
    assert sys.executable in install
    assert install[-1] == f"{ROOT}[emulator]"
    assert "install" in install


def test_accounts_and_ask_run_without_ever_loading_the_emulator(
    cli: CliRig, tmp_path: Path
) -> None:
    cli.seed("alice")
    blocked = Unimportable.create(tmp_path, "multicodex_emulator")

    listing = cli.run("accounts", env=_without(cli, blocked))
    answer = cli.run("ask", "Say", "hello", env=_without(cli, blocked))

    assert not blocked.attempted(), blocked.where_attempted()
    assert listing.code == 0, listing
    assert "alice@example.test" in listing.stdout
    assert answer.code == 0, answer
    assert answer.stdout.startswith("Hello from alice@example.test.")


def test_the_extra_holds_what_the_emulator_imports_and_dev_includes_it() -> None:
    assert {"starlette", "zstandard", "trustme"} <= set(MISSING)
    assert "multicodex[emulator]" in PYPROJECT["project"]["optional-dependencies"]["dev"]
    # What serves the emulator (uvicorn) is also the proxy's, so it is the product's own.
    assert any(r.startswith("uvicorn") for r in PYPROJECT["project"]["dependencies"])
    assert not any(
        requirement.startswith(name)
        for requirement in PYPROJECT["project"]["dependencies"]
        for name in MISSING
    )


def test_an_editable_pip_install_is_named_by_its_directory() -> None:
    source = source_from_metadata(
        "pip\n", '{"url": "file:///home/me/multi%20codex", "dir_info": {"editable": true}}'
    )

    assert install_command(source, "/venv/bin/python") == (
        "/venv/bin/python -m pip install -e '/home/me/multi codex[emulator]'"
    )


def test_a_uv_install_is_completed_by_uv() -> None:
    source = source_from_metadata("uv", '{"url": "file:///src/multicodex", "dir_info": {}}')

    assert install_command(source, "/venv/bin/python") == (
        "uv pip install --python /venv/bin/python '/src/multicodex[emulator]'"
    )


@pytest.mark.parametrize(
    "direct_url",
    [None, "not json", '{"url": "https://example.test/multicodex.tar.gz", "archive_info": {}}'],
)
def test_an_unknown_source_falls_back_to_the_extra_by_name(direct_url: str | None) -> None:
    source = source_from_metadata(None, direct_url)

    assert install_command(source, "/venv/bin/python") == (
        "/venv/bin/python -m pip install 'multicodex[emulator]'"
    )
