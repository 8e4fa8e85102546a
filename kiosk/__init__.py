"""The self-service kiosk: PySide6 QML screens over Python view-models, a client of the hall API."""
