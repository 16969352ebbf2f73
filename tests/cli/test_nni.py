"""`autolab nni install` / `uninstall`: autolab's nni module in a Python environment, as a .pth
file; refused where a real NNI is importable. Tests write only to a temporary site folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autolab._nni_shim import SHIM_PATH
from autolab.cli import main
from autolab.cli.nni import PTH_FILE


def import_nni_with(site_dir: Path) -> subprocess.CompletedProcess[str]:
    """`import nni` in a fresh Python that reads site_dir's .pth files (as it does site-packages')."""
    code = f"import site; site.addsitedir({str(site_dir)!r}); import nni; print(nni.__file__)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOLAB_", "NNI_"))}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_install_then_uninstall(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert import_nni_with(tmp_path).returncode == 1  # no nni in this environment
    assert main(["nni", "install", "--site-dir", str(tmp_path)]) == 0
    assert (tmp_path / PTH_FILE).read_text().strip() == SHIM_PATH
    assert "installed" in capsys.readouterr().out
    proc = import_nni_with(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == os.path.join(SHIM_PATH, "nni", "__init__.py")
    assert main(["nni", "install", "--site-dir", str(tmp_path)]) == 0  # again: still one file
    assert main(["nni", "uninstall", "--site-dir", str(tmp_path)]) == 0
    assert not (tmp_path / PTH_FILE).exists()
    assert import_nni_with(tmp_path).returncode == 1
    assert main(["nni", "uninstall", "--site-dir", str(tmp_path)]) == 0
    assert "not installed" in capsys.readouterr().out


def test_install_refuses_where_a_real_nni_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site_dir = tmp_path / "site-packages"
    (site_dir / "nni").mkdir(parents=True)
    (site_dir / "nni" / "__init__.py").write_text("__version__ = '3.0'\n")
    assert main(["nni", "install", "--site-dir", str(site_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(site_dir / "nni") in err and "already installed" in err
    assert not (site_dir / PTH_FILE).exists()


def test_a_bad_site_dir_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nni", "install", "--site-dir", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--site-dir" in err and "nope" in err
