"""The kiosk's citizen flows, one module each, mixed into kiosk.viewmodel.KioskViewModel.

Each module holds one flow's slots and the rules it owns (in its docstring). The state
lives on the one view-model object (QML binds to it); the shell (kiosk/viewmodel.py) owns
the signals, the properties, screen changes, the idle timer and navigation.
"""
