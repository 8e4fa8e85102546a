import QtQuick
import ".."

// Help (帮办代办): the call is out; once a helper acknowledges, say so and when.
Item {
    id: page
    property bool acked: vm.help.state === "acknowledged"
    Column {
        anchors.centerIn: parent
        width: parent.width
        spacing: ui.gap * 2
        Rectangle {
            anchors.horizontalCenter: parent.horizontalCenter
            width: 220 * ui.unit * ui.scale
            height: width
            radius: width / 2
            color: page.acked ? ui.good : ui.primary
            Text {
                anchors.centerIn: parent
                text: page.acked ? "✔" : "…"
                color: "#ffffff"
                font.pixelSize: 130 * ui.unit * ui.scale
                font.bold: true
            }
        }
        Bi {
            objectName: "helpTitle"
            width: parent.width
            zh: vm.help.state === "acknowledged" ? "工作人员正在赶来" : vm.help.state === "sending" ? "正在呼叫工作人员" : "已呼叫工作人员，请稍候"
            en: vm.help.state === "acknowledged" ? "A helper is on the way" : vm.help.state === "sending" ? "Calling a helper" : "A helper has been called — please wait here"
            size: ui.huge * 0.75
            bold: true
        }
        Bi {
            width: parent.width
            zh: vm.help.state === "acknowledged" ? ("已于 " + vm.help.acknowledged_at + " 确认" + (vm.help.by ? "（" + vm.help.by + "）" : ""))
                                                 : ("呼叫时间 " + (vm.help.raised_at || ""))
            en: vm.help.state === "acknowledged" ? ("Acknowledged at " + vm.help.acknowledged_at)
                                                 : ("Called at " + (vm.help.raised_at || ""))
            size: ui.large
        }
        Text {
            width: parent.width
            text: root.en ? "Please stay at this kiosk." : "请在本机旁稍候，不要走开"
            color: ui.muted
            font.pixelSize: ui.body
            horizontalAlignment: Text.AlignHCenter
        }
    }
}
