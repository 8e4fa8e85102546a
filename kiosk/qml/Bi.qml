import QtQuick

// Two-language text: the chosen language large, the other small beneath it (not in elder
// mode: one language, large, leaves room for fewer and larger lines).
Column {
    id: bi
    property string zh: ""
    property string en: ""
    property real size: ui.body
    property color ink: ui.text
    property color subInk: ui.muted
    property bool bold: false
    property int align: Text.AlignHCenter
    spacing: ui.gap / 4
    Text {
        width: bi.width
        text: root.en ? bi.en : bi.zh
        color: bi.ink
        font.pixelSize: bi.size
        font.bold: bi.bold
        wrapMode: Text.WordWrap
        horizontalAlignment: bi.align
    }
    Text {
        width: bi.width
        visible: (root.en ? bi.zh : bi.en) !== "" && !ui.elder
        text: root.en ? bi.zh : bi.en
        color: bi.subInk
        font.pixelSize: Math.max(ui.small * 0.9, bi.size * 0.5)
        wrapMode: Text.WordWrap
        horizontalAlignment: bi.align
    }
}
