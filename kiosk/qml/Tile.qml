import QtQuick

// A big tappable card: a title, an optional second line; never needs a double tap.
Rectangle {
    id: tile
    property string title: ""
    property string subtitle: ""
    property string badge: ""
    property bool active: true
    property bool selected: false
    property color fill: ui.surface
    property color ink: ui.text
    property real titleSize: ui.large
    // fit: the tile has a fixed height (grids, footers); long titles shrink to fit it
    // instead of spilling out. Without it the tile grows with its text.
    property bool fit: false
    signal tapped()

    implicitHeight: Math.max(ui.target, content.implicitHeight + 2 * ui.gap)
    radius: ui.radius
    color: !active ? (ui.elder ? "#222222" : "#e2e8f0") : (selected ? ui.primary : fill)
    border.color: selected ? ui.accent : ui.border
    border.width: selected ? ui.borderWidth * 3 : ui.borderWidth
    opacity: area.pressed ? 0.75 : 1.0

    Column {
        id: content
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.verticalCenter: parent.verticalCenter
        anchors.leftMargin: ui.gap * 0.6 + (tile.badge !== "" ? badgeBox.width : 0)
        anchors.rightMargin: ui.gap * 0.6 + (tile.badge !== "" ? badgeBox.width : 0)
        spacing: ui.gap / 3
        Text {
            width: parent.width
            height: tile.fit ? Math.min(implicitHeight, tile.height - ui.gap
                                        - (subtitleText.visible ? subtitleText.height + content.spacing : 0))
                             : implicitHeight
            fontSizeMode: tile.fit ? Text.Fit : Text.FixedSize
            minimumPixelSize: tile.titleSize * ui.minFit
            verticalAlignment: Text.AlignVCenter
            text: tile.title
            color: tile.selected ? ui.primaryInk : (tile.active ? tile.ink : ui.muted)
            font.pixelSize: tile.titleSize
            font.bold: true
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
        }
        Text {
            id: subtitleText
            width: parent.width
            visible: tile.subtitle !== ""
            text: tile.subtitle
            color: tile.selected ? ui.primaryInk : ui.muted
            font.pixelSize: ui.small
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
        }
    }
    Rectangle {
        id: badgeBox
        visible: tile.badge !== ""
        anchors.top: parent.top
        anchors.right: parent.right
        anchors.margins: ui.gap / 2
        radius: height / 2
        color: ui.accent
        width: badgeText.implicitWidth + ui.gap
        height: badgeText.implicitHeight + ui.gap / 3
        Text {
            id: badgeText
            anchors.centerIn: parent
            text: tile.badge
            color: ui.elder ? "#000000" : "#ffffff"
            font.pixelSize: ui.small * 0.9
            font.bold: true
        }
    }
    MouseArea {
        id: area
        anchors.fill: parent
        enabled: tile.active
        // Every tap counts, also the second of two quick ones (typing 3333 on the keypad)
        // but not one that arrives just after the screen changed under the finger.
        onClicked: if (root.tapAllowed()) tile.tapped()
        onDoubleClicked: if (root.tapAllowed()) tile.tapped()
    }
}
