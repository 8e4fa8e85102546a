import QtQuick

// Colours and sizes in one place; elder mode (适老模式) swaps to high contrast and larger type:
// every text size is `scale` (1.45) times its standard size, and no text shrinks to fit in
// elder mode (screens give it fewer, larger tiles instead; tests check >= 1.4x per screen).
QtObject {
    id: theme
    property bool elder: false
    property real unit: 1.0                       // 1.0 = the short side is 1080 px
    property real scale: elder ? 1.45 : 1.0
    property color background: elder ? "#000000" : "#eef2f7"
    property color surface: elder ? "#000000" : "#ffffff"
    property color text: elder ? "#ffffff" : "#14213d"
    property color muted: elder ? "#ffff66" : "#4a5568"
    property color primary: elder ? "#ffd400" : "#0b4f9c"
    property color primaryInk: elder ? "#000000" : "#ffffff"
    property color accent: elder ? "#ffd400" : "#c8102e"
    property color good: elder ? "#00ff66" : "#1b7f3b"
    property color warn: elder ? "#ffb000" : "#b45309"
    property color disabled: elder ? "#666666" : "#a0aec0"
    property color border: elder ? "#ffffff" : "#cbd5e1"
    property int borderWidth: elder ? 4 : 2
    // Sizes in px at 1080 px short side. A 21.5" 1080x1920 panel has 0.248 mm pixels,
    // so 20 mm is 81 px; every touch target here is at least 120 px.
    property real small: 30 * unit * scale
    property real body: 40 * unit * scale
    property real large: 56 * unit * scale
    property real huge: 84 * unit * scale
    property real giant: 220 * unit * scale
    property real target: 150 * unit * (elder ? 1.15 : 1.0)
    // Fit-to-box text may shrink to this share of its size in standard mode, never in elder.
    property real minFit: elder ? 1.0 : 0.55
    property real gap: 24 * unit
    property real radius: 20 * unit
}
