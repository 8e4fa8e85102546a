"""Hardware drivers: codecs, transports and device objects for printers, scanners and the window bus."""
