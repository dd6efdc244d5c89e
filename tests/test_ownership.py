"""Only you decide which index you open: bare names always mean the index home,
indexes and index homes that others can write (or that belong to others) are
refused, and what diplosearch creates is never writable by others, whatever the
umask."""

from __future__ import annotations

import errno
import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import subprocess_env
from diplosearch import DiplosearchError, Document, UnsafeIndexError, open_index
from diplosearch.cli import main
from diplosearch.store import locking


def make_index(path: Path) -> Path:
    with open_index(path, create=True) as ix:
        ix.add(Document(id="a", title="Judul", body="isi berita"))
    return path


def test_a_bare_name_means_the_index_home_even_when_the_current_directory_has_one(
    tmp_path, isolated_index_home, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    make_index(tmp_path / "berita")
    with open_index("berita", create=True) as ix:
        assert ix.path == isolated_index_home / "berita"
        assert len(ix) == 0
    with open_index("./berita") as ix:  # the current directory, said explicitly
        assert len(ix) == 1
    out, err = io.StringIO(), io.StringIO()
    assert main(["stats", "--index", "berita", "--json"], out, err) == 0
    assert str(isolated_index_home / "berita") in out.getvalue()


def test_files_and_folders_are_not_writable_by_others_even_under_umask_000(tmp_path, isolated_index_home):
    home = tmp_path / "fresh-home"
    code = (
        "import os, sys, diplosearch; os.umask(0); "
        "ix = diplosearch.open_index('berita', create=True); "
        "ix.add_many([diplosearch.Document(id=str(i), title='t', body='isi') for i in range(3)]); "
        "ix.delete('1'); ix.rebuild(); ix.close(); diplosearch.open_index().close()"
    )
    env = subprocess_env(isolated_index_home)
    env["DIPLOSEARCH_HOME"] = str(home / "nested")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, env=env)
    created = [home, *home.rglob("*")]
    assert any(p.name == "MAIN_WRITELOCK" for p in created) and any(p.suffix == ".toc" for p in created)
    for item in created:
        mode = stat.S_IMODE(item.stat().st_mode)
        assert not mode & 0o022, f"{item} is writable by others: {oct(mode)}"
        assert mode & 0o004, f"{item} is not readable by others: {oct(mode)}"
        if item.is_file():
            assert not mode & 0o111, f"{item} is executable: {oct(mode)}"


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o1777])
def test_an_index_directory_others_can_write_is_refused(tmp_path, mode):
    path = make_index(tmp_path / "ix")
    os.chmod(path, mode)
    with pytest.raises(UnsafeIndexError, match=f"{path}.*chmod go-w"):
        open_index(path)
    out, err = io.StringIO(), io.StringIO()
    assert main(["search", "isi", "--index", str(path)], out, err) == 1
    assert "other users can write to it" in err.getvalue()


def test_an_index_file_others_can_write_is_refused(tmp_path):
    path = make_index(tmp_path / "ix")
    toc = next(path.glob("_MAIN_*.toc"))
    os.chmod(toc, 0o666)
    with pytest.raises(UnsafeIndexError, match=str(toc)):
        open_index(path)


def test_an_index_home_others_can_write_is_refused_before_anything_is_built(isolated_index_home):
    os.chmod(isolated_index_home, 0o1777)  # sticky does not help: anyone may create default/
    with pytest.raises(UnsafeIndexError, match="index home"):
        open_index()
    with pytest.raises(UnsafeIndexError, match="index home"):
        open_index("berita", create=True)
    assert not any(isolated_index_home.iterdir())


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="changing an owner needs root")
def test_an_index_owned_by_another_user_is_refused_even_for_root(tmp_path, isolated_index_home):
    path = make_index(tmp_path / "ix")
    os.chown(path, 12345, -1)
    with pytest.raises(UnsafeIndexError, match="belongs to user 12345"):
        open_index(path)
    os.chown(path, 0, -1)
    os.chown(isolated_index_home, 12345, -1)
    with pytest.raises(UnsafeIndexError, match="index home"):
        open_index()


def test_permission_denied_on_the_lock_file_says_so(tmp_path, monkeypatch):
    path = make_index(tmp_path / "ix")
    real_open = os.open

    def denied(name, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(name).endswith("MAIN_WRITELOCK"):
            raise PermissionError(errno.EACCES, "Permission denied", str(name))
        return real_open(name, flags, *args, **kwargs)

    with open_index(path) as ix:
        monkeypatch.setattr(locking.os, "open", denied)
        with pytest.raises(DiplosearchError, match="permission denied") as caught:
            ix.add(Document(id="b", title="t", body="isi"))
    assert "file locking" not in str(caught.value)
