import QtQuick
import ".."

// The printed ticket, repeated on screen: number, service, people ahead, and the ticket's
// QR (follow the queue on the phone). Landscape: the QR on the right, so nothing is pushed
// under the header or behind the footer.
Item {
    id: page
    property bool hasQr: (vm.ticket.status_url || "") !== ""
    property real qrSide: !hasQr ? 0
                          : root.landscape ? Math.min(width * 0.26, height * (ui.elder ? 0.45 : 0.6))
                                           : (ui.elder ? 220 : 300) * ui.unit
    Column {
        id: info
        anchors.verticalCenter: parent.verticalCenter
        anchors.left: parent.left
        width: root.landscape && page.hasQr ? parent.width - Math.max(page.qrSide + ui.gap * 2, page.width * 0.3) - ui.gap : parent.width
        spacing: ui.gap * (root.landscape && ui.elder ? 0.3 : root.landscape || ui.elder ? 0.8 : 1.5)
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
            font.pixelSize: ui.giant * (root.landscape ? 0.8 : 1)
            lineHeight: 0.85   // digits have no descenders: less empty line box, same glyphs
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
            // from the ID card tapped (issue 16): the name masked, 张*三
            objectName: "ticketName"
            width: parent.width
            visible: (vm.ticket.name_masked || "") !== "" && !root.landscape
            text: (root.en ? "Name: " : "姓名：") + (vm.ticket.name_masked || "")
            color: ui.text
            font.pixelSize: ui.body
            horizontalAlignment: Text.AlignHCenter
        }
        Text {
            width: parent.width
            visible: (vm.ticket.phone_masked || "") !== "" && !root.landscape
            text: (root.en ? "We will notify " : "叫号时将通知 ") + (vm.ticket.phone_masked || "")
            color: ui.muted
            font.pixelSize: ui.body
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
        }
        Item {
            // portrait: the QR below the lines
            visible: !root.landscape && page.hasQr
            width: parent.width
            height: visible ? page.qrSide + ui.gap : 0
            Loader {
                anchors.horizontalCenter: parent.horizontalCenter
                active: !root.landscape && page.hasQr
                sourceComponent: qrCard
            }
        }
        Text {
            id: qrHintPortrait
            width: parent.width
            visible: !root.landscape
            text: qrHint.text
            color: ui.muted
            font.pixelSize: ui.small
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
        }
    }
    Column {
        // landscape: the QR and its hint on the right
        anchors.right: parent.right
        anchors.verticalCenter: parent.verticalCenter
        width: Math.max(page.qrSide + ui.gap * 2, page.width * 0.3)
        visible: root.landscape && page.hasQr
        spacing: ui.gap / 2
        Loader {
            anchors.horizontalCenter: parent.horizontalCenter
            active: root.landscape && page.hasQr
            sourceComponent: qrCard
        }
        Text {
            // landscape: the name and phone lines under the QR
            width: parent.width
            visible: (vm.ticket.name_masked || "") !== ""
            text: (root.en ? "Name: " : "姓名：") + (vm.ticket.name_masked || "")
            color: ui.text
            font.pixelSize: ui.body
            horizontalAlignment: Text.AlignHCenter
        }
        Text {
            width: parent.width
            visible: (vm.ticket.phone_masked || "") !== ""
            text: (root.en ? "We will notify " : "叫号时将通知 ") + (vm.ticket.phone_masked || "")
            color: ui.muted
            font.pixelSize: ui.body
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
        }
        Text {
            id: qrHint
            width: parent.width
            text: root.en ? "Scan the QR to follow the queue on your phone (it is on your ticket too)."
                          : "扫描二维码（号票上也有），可在手机上查看排队进度"
            color: ui.muted
            font.pixelSize: ui.small
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
        }
    }
    Component {
        id: qrCard
        Rectangle {
            width: page.qrSide
            height: page.qrSide
            color: "#ffffff"
            radius: ui.radius / 2
            Image {
                objectName: "ticketScreenQr"
                anchors.fill: parent
                anchors.margins: ui.gap * 0.6
                smooth: false
                source: page.hasQr ? "image://qr/" + encodeURIComponent(vm.ticket.status_url) : ""
            }
        }
    }
}
