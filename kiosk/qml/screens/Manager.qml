import QtQuick
import ".."

// Manager screen: device status (hall link, printer paper, scanner), test print, exit.
Grid {
    id: page
    columns: root.landscape ? 2 : 1
    spacing: ui.gap
    property real cell: (width - (columns - 1) * spacing) / columns
    Column {
    width: page.cell
    spacing: ui.gap * (root.landscape ? 0.5 : 1)
    Bi {
        width: parent.width
        zh: "设备状态"
        en: "Device status"
        size: ui.large
        bold: true
    }
    Repeater {
        model: vm.deviceStatus
        delegate: Rectangle {
            required property var modelData
            width: page.cell
            height: row.implicitHeight + (root.landscape ? 1.2 : 2) * ui.gap
            radius: ui.radius
            color: ui.surface
            border.color: modelData.ok ? ui.good : ui.accent
            border.width: ui.borderWidth * 2
            Column {
                id: row
                anchors.left: parent.left
                anchors.right: parent.right
                anchors.verticalCenter: parent.verticalCenter
                anchors.margins: ui.gap
                Text {
                    width: parent.width
                    text: (modelData.ok ? "● " : "▲ ") + (root.en ? modelData.name_en : modelData.name_zh)
                    color: modelData.ok ? ui.good : ui.accent
                    font.pixelSize: ui.body
                    font.bold: true
                }
                Text {
                    width: parent.width
                    text: root.en ? modelData.en : modelData.zh
                    color: ui.text
                    font.pixelSize: ui.body
                    wrapMode: Text.WordWrap
                }
            }
        }
    }
    }
    Column {
    width: page.cell
    spacing: ui.gap
    Text {
        width: parent.width
        visible: vm.notice.title !== undefined
        text: vm.notice.title ? (root.en ? vm.notice.title.en : vm.notice.title.zh) : ""
        color: ui.text
        font.pixelSize: ui.body
        horizontalAlignment: Text.AlignHCenter
    }
    Tile {
        width: parent.width
        title: root.en ? "Test print" : "打印测试页"
        onTapped: vm.testPrint()
    }
    Tile {
        width: parent.width
        title: root.en ? "Back to service" : "返回服务"
        onTapped: vm.goHome()
    }
    Tile {
        width: parent.width
        title: root.en ? "Close the kiosk" : "退出自助机程序"
        ink: ui.accent
        onTapped: vm.exitKiosk()
    }
}
}
