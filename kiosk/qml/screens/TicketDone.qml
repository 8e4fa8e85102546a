import QtQuick
import ".."

// The printed ticket, repeated on screen: number, service, people ahead.
Item {
    Column {
        anchors.centerIn: parent
        width: parent.width
        spacing: ui.gap * 1.5
        Bi {
            width: parent.width
            zh: "取号成功，请取走号票"
            en: "Done — please take your ticket"
            size: ui.large
            bold: true
            ink: ui.good
        }
        Text {
            objectName: "ticketNumber"
            width: parent.width
            text: vm.ticket.number || ""
            color: ui.accent
            font.pixelSize: ui.giant
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
        }
        Bi {
            width: parent.width
            zh: (vm.ticket.service_name_zh || "") + (vm.ticket.green_zh ? " · 绿色通道（" + vm.ticket.green_zh + "）" : "")
            en: vm.ticket.service_name_en || ""
            size: ui.large
        }
        Bi {
            width: parent.width
            zh: vm.ticket.no_window ? (vm.ticket.no_window_zh || "当前无窗口办理")
                : "前面还有 " + (vm.ticket.ahead || 0) + " 人，约 " + (vm.ticket.eta_minutes || 0) + " 分钟"
            en: vm.ticket.no_window ? (vm.ticket.no_window_en || "No window serves this right now")
                : (vm.ticket.ahead || 0) + " ahead of you, about " + (vm.ticket.eta_minutes || 0) + " min"
            size: ui.body
        }
        Text {
            width: parent.width
            visible: (vm.ticket.phone_masked || "") !== ""
            text: (root.en ? "We will notify " : "叫号时将通知 ") + (vm.ticket.phone_masked || "")
            color: ui.muted
            font.pixelSize: ui.body
            horizontalAlignment: Text.AlignHCenter
        }
        Text {
            width: parent.width
            text: root.en ? "Scan the QR on your ticket to follow the queue on your phone."
                          : "扫描号票上的二维码，可在手机上查看排队进度"
            color: ui.muted
            font.pixelSize: ui.small
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignHCenter
        }
    }
}
