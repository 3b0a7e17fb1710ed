"""What the READMEs tell people about the editor can be done as written: the editor test
command installs the tools it needs even right after the demo (which installs only the
emulator), and the extension's README installs the server from the checkout, not from a
package registry it is not published on."""

from __future__ import annotations

import re
import shlex

from editor.harness import CLIENT, REPO

README = REPO / "README.md"
CI_RUN = REPO / ".ci" / "run"


def _editor_test_commands() -> list[list[str]]:
    """The commands of the README's code block that runs `tests/editor`."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    block = next(b for b in blocks if "tests/editor" in b)
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line]


def test_the_first_editor_test_command_installs_the_dev_tools_and_sets_up_the_editor() -> None:
    first = _editor_test_commands()[0]
    assert first == ["bash", ".ci/run", "tests/editor"], first
    script = CI_RUN.read_text(encoding="utf-8")
    assert re.search(r'^source "\$ROOT/\.ci/bootstrap\.sh" dev$', script, re.MULTILINE), script
    assert "editor-client/scripts/setup-editor-test.sh" in script
    assert re.search(r'^pytest "\$@"$', script, re.MULTILINE), script


def test_the_extension_readme_installs_the_server_from_the_checkout() -> None:
    text = (CLIENT / "README.md").read_text(encoding="utf-8")
    assert not re.search(r"pip install multicodex\b", text), text
    assert re.search(r"pip install /path/to/the/checkout", text), text
