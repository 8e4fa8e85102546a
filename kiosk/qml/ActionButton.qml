import QtQuick

// The one main action on a screen: wide, tall, primary colour.
Rectangle {
    id: button
    property string text: ""
    property string subtext: ""
    property bool active: true
    property color fill: ui.primary
    property color ink: ui.primaryInk
    signal tapped()

    implicitHeight: Math.max(ui.target * 1.1, label.implicitHeight + ui.gap)
    radius: ui.radius
    color: active ? fill : ui.disabled
    border.color: ui.elder ? "#ffffff" : "transparent"
    border.width: ui.elder ? 4 : 0
    opacity: area.pressed ? 0.75 : 1.0
    Column {
        id: label
        anchors.centerIn: parent
        width: parent.width - 2 * ui.gap
        Text {
            width: parent.width
            text: button.text
            color: button.ink
            font.pixelSize: ui.large
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
        }
        Text {
            width: parent.width
            visible: button.subtext !== ""
            text: button.subtext
            color: button.ink
            font.pixelSize: ui.small
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
        }
    }
    MouseArea {
        id: area
        anchors.fill: parent
        enabled: button.active
        // Every tap counts, also the second of two quick ones (typing 3333 on the keypad)
        // but not one that arrives just after the screen changed under the finger.
        onClicked: if (root.tapAllowed()) button.tapped()
        onDoubleClicked: if (root.tapAllowed()) button.tapped()
    }
}
