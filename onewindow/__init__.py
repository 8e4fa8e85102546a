"""OneWindow: offline-first hall-floor software for government service halls."""

__version__ = "0.1.0"


def import_if_present(name: str):
    """Import module `name`, or None when it (or its package) is not in this checkout.

    A module that exists but fails to import raises: a broken package must be loud."""
    import importlib

    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            return None
        raise


def example_config_path():
    """assets/hall.example.toml: in a checkout beside the packages, in an installed wheel
    under sys.prefix/share/onewindow (setup.cfg data_files), in the Debian package also
    under /usr/share/onewindow."""
    import sys
    from pathlib import Path

    candidates = [
        Path(__file__).resolve().parent.parent / "assets" / "hall.example.toml",
        Path(sys.prefix) / "share" / "onewindow" / "hall.example.toml",
        Path("/usr/share/onewindow/hall.example.toml"),
    ]
    for path in candidates:
        if path.is_file():
            return path
    return candidates[0]
