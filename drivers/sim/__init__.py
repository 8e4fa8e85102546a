"""Simulators that speak the real device bytes over ptys and sockets, for tests and the demo."""
