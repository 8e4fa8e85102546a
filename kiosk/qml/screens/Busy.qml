import QtQuick
import ".."

// Work in progress (issuing, printing, checking in); nothing to tap.
Item {
    Column {
        anchors.centerIn: parent
        width: parent.width
        spacing: ui.gap * 2
        Rectangle {
            id: spinner
            anchors.horizontalCenter: parent.horizontalCenter
            width: 160 * ui.unit
            height: width
            radius: width / 2
            color: "transparent"
            border.color: ui.primary
            border.width: 18 * ui.unit
            Rectangle {
                width: 40 * ui.unit; height: width; radius: width / 2
                color: ui.accent
                anchors.horizontalCenter: parent.horizontalCenter
            }
            RotationAnimation on rotation { from: 0; to: 360; duration: 1200; loops: Animation.Infinite }
        }
        Bi {
            width: parent.width
            zh: vm.busyText.zh || ""
            en: vm.busyText.en || ""
            size: ui.large
            bold: true
        }
    }
}
