"""OneWindow: offline-first hall-floor software for government service halls."""

__version__ = "0.1.0"
