import QtQuick

// A pill at the bottom of a scrolling list while more of it lies below: "▼ 上滑查看更多".
Rectangle {
    id: more
    objectName: "moreBelow"   // floats over the list's last row on purpose (layout checker)
    property Flickable flick
    visible: flick !== null && flick.contentHeight > flick.height + 2 && !flick.atYEnd
    anchors.bottom: flick ? flick.bottom : undefined
    anchors.horizontalCenter: flick ? flick.horizontalCenter : undefined
    width: label.implicitWidth + 2 * ui.gap
    height: label.implicitHeight + ui.gap / 2
    radius: height / 2
    color: ui.accent
    Text {
        id: label
        anchors.centerIn: parent
        text: root.en ? "▼ Swipe up for more" : "▼ 上滑查看更多"
        color: ui.elder ? "#000000" : "#ffffff"
        font.pixelSize: ui.small
        font.bold: true
    }
}
