"""import-linter enforces SPEC section 4's boundaries, and really fails when one is crossed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / ".importlinter"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    for package in ("shared", "service", "desktop", "reelcraft", "resources"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_project_keeps_its_contracts(tree_copy: Path) -> None:
    result = _lint(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("package", "line", "contract"),
    [
        ("service", "from PySide6 import QtCore", "service never imports Qt"),
        ("shared", "import PySide6.QtWidgets", "shared imports neither"),
        ("shared", "import service.storage.db", "shared imports neither"),
        ("desktop", "import service.storage.db", "desktop reaches the service only"),
    ],
)
def test_a_forbidden_import_breaks_the_build(
    tree_copy: Path, package: str, line: str, contract: str
) -> None:
    (tree_copy / package / "_violation.py").write_text(line + "\n")
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout
    assert "BROKEN" in result.stdout
