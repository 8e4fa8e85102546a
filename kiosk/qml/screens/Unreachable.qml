import QtQuick
import ".."

// The hall does not answer: tickets are paused; the kiosk retries by itself.
Item {
    Column {
        anchors.centerIn: parent
        width: parent.width
        spacing: ui.gap * 2
        Text {
            width: parent.width
            text: "暂停取号，请稍候"
            color: ui.accent
            font.pixelSize: ui.huge
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
        }
        Text {
            width: parent.width
            text: "Ticketing is paused — please wait"
            color: ui.text
            font.pixelSize: ui.large
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
        }
        Text {
            id: dots
            property int n: 0
            width: parent.width
            text: (root.en ? "Reconnecting automatically" : "正在自动重新连接") + ".".repeat(n % 4)
            color: ui.muted
            font.pixelSize: ui.body
            horizontalAlignment: Text.AlignHCenter
            Timer { interval: 600; running: true; repeat: true; onTriggered: dots.n++ }
        }
        Text {
            width: parent.width
            text: root.en ? "If this lasts, please ask a staff member." : "如长时间未恢复，请联系现场工作人员"
            color: ui.muted
            font.pixelSize: ui.body
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
        }
    }
}
