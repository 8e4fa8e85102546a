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
