"""The hall's caller display (PySide6/QML) and the voice announcer."""
