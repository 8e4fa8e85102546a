import QtQuick
import ".."

// Help (帮办代办): the call is out; once a helper acknowledges, say so and when. The screen
// follows its call until staff close it (it does not time out while help is on its way);
// the citizen may cancel the call here, which closes it at the hall.
Item {
    id: page
    property bool acked: vm.help.state === "acknowledged"
    property bool closed: vm.help.state === "closed" || vm.help.state === "cancelled"
    property bool open: ["sending", "waiting", "acknowledged"].indexOf(vm.help.state || "") >= 0
    Grid {
        id: body
        anchors.top: parent.top
        anchors.bottom: cancel.visible && !root.landscape ? cancel.top : parent.bottom
        anchors.bottomMargin: ui.gap
        width: parent.width
        // landscape: the sign on the left, the words on the right
        columns: root.landscape ? 2 : 1
        spacing: ui.gap * (root.landscape ? 1 : 1.5)
        property real cell: root.landscape ? (width - spacing) / 2 : width
        verticalItemAlignment: Grid.AlignVCenter
        Item {
            width: body.cell
            // landscape: the sign above the cancel button, the words on the right
            height: root.landscape ? body.height - (cancel.visible ? cancel.height + ui.gap : 0) : sign.height
            Rectangle {
                id: sign
                anchors.centerIn: parent
                width: (root.landscape ? 200 : 220) * ui.unit * ui.scale
                height: width
                radius: width / 2
                color: page.acked || page.closed ? ui.good : ui.primary
                Text {
                    anchors.centerIn: parent
                    text: page.acked || page.closed ? "✔" : "…"
                    color: "#ffffff"
                    font.pixelSize: (root.landscape ? 118 : 130) * ui.unit * ui.scale
                    font.bold: true
                }
            }
        }
        Column {
            width: body.cell
            spacing: ui.gap * (root.landscape ? 1 : 1.5)
            Bi {
                objectName: "helpTitle"
                width: parent.width
                zh: vm.help.state === "cancelled" ? "已取消呼叫" : page.closed ? "帮办已完成"
                    : page.acked ? "工作人员正在赶来" : vm.help.state === "sending" ? "正在呼叫工作人员" : "已呼叫工作人员，请稍候"
                en: vm.help.state === "cancelled" ? "Call cancelled" : page.closed ? "Help completed"
                    : page.acked ? "A helper is on the way" : vm.help.state === "sending" ? "Calling a helper" : "A helper has been called — please wait here"
                size: ui.huge * 0.75
                bold: true
            }
            Bi {
                width: parent.width
                visible: page.open
                zh: page.acked ? ("已于 " + vm.help.acknowledged_at + " 确认" + (vm.help.by ? "（" + vm.help.by + "）" : ""))
                               : ("呼叫时间 " + (vm.help.raised_at || ""))
                en: page.acked ? ("Acknowledged at " + vm.help.acknowledged_at)
                               : ("Called at " + (vm.help.raised_at || ""))
                size: ui.large
            }
            Text {
                width: parent.width
                visible: vm.help.cancel_failed === true
                text: root.en ? "Could not cancel: the hall is not reachable. Staff will still come."
                              : "未能取消：暂时连不上大厅系统，工作人员仍会前来"
                color: ui.accent
                font.pixelSize: ui.body
                wrapMode: Text.WordWrap
                horizontalAlignment: Text.AlignHCenter
            }
            Text {
                width: parent.width
                text: page.open ? (root.en ? "Please stay at this kiosk." : "请在本机旁稍候，不要走开")
                                : (root.en ? "Thank you." : "谢谢。")
                color: ui.muted
                font.pixelSize: ui.body
                wrapMode: Text.WordWrap
                horizontalAlignment: Text.AlignHCenter
            }
        }
    }
    Tile {
        id: cancel
        objectName: "cancelHelp"
        anchors.bottom: parent.bottom
        anchors.left: parent.left
        width: root.landscape ? body.cell : parent.width
        height: Math.max(ui.target * (root.landscape ? 0.8 : 1), implicitHeight)
        visible: page.open && (vm.help.id || "") !== ""
        title: root.en ? "I no longer need help — cancel the call" : "不需要了，取消呼叫"
        titleSize: ui.body
        onTapped: vm.cancelHelp()
    }
}
