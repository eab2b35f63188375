import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Never build the default model into the user's real cache directory."""
    monkeypatch.setenv("NTP_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "ntp-cache"))
