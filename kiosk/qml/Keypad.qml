import QtQuick

// A large keypad. Digits by default; `keys` can add letters (staff IDs).
// Emits key("0".."9"|"A".."Z"|"clear"|"back").
Grid {
    id: pad
    signal key(string k)
    property var keys: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back"]
    property real keyHeight: ui.target * 1.05
    // digits: huge, or as large as the key allows (never below 1.4x standard in elder mode:
    // screens give elder keys at least 175 px)
    columns: keys.length === 12 && wide ? 4 : 3
    // wide: four keys a row (landscape elder mode: three taller rows instead of four)
    property bool wide: false
    spacing: ui.gap
    Repeater {
        model: pad.keys
        delegate: Tile {
            fit: true
            required property string modelData
            width: (pad.width - (pad.columns - 1) * pad.spacing) / pad.columns
            height: pad.keyHeight
            title: modelData === "clear" ? (root.en ? "Clear" : "清空")
                 : modelData === "back" ? (root.en ? (pad.wide ? "⌫ Del" : "Delete") : "删除") : modelData
            titleSize: modelData.length === 1 ? Math.min(ui.huge, pad.keyHeight * (ui.elder ? 0.7 : 0.6)) : ui.body
            onTapped: pad.key(modelData)
        }
    }
}
