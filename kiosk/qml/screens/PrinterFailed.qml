import QtQuick
import ".."

// The printer failed: the ticket is shown large with its QR; staff have been alerted.
Item {
    id: page
    Rectangle {
        id: warn
        anchors.top: parent.top
        anchors.left: parent.left
        anchors.right: parent.right
        height: warnText.implicitHeight + ui.gap * 2
        radius: ui.radius
        color: ui.warn
        Bi {
            id: warnText
            anchors.centerIn: parent
            width: parent.width - 2 * ui.gap
            zh: "号票打印失败，请拍照保存"
            en: ui.elder && root.landscape ? "Not printed — please photograph this"
                                           : "The ticket could not be printed — please take a photo"
            size: ui.large
            bold: true
            ink: "#ffffff"
            subInk: "#ffffff"
        }
    }
    Grid {
        anchors.top: warn.bottom
        anchors.topMargin: ui.gap
        anchors.horizontalCenter: parent.horizontalCenter
        columns: root.landscape ? 2 : 1
        spacing: ui.gap
        property real cell: root.landscape ? (page.width - ui.gap) / 2 : page.width
        Column {
            width: parent.cell
            spacing: ui.gap * 0.6
            Text {
                objectName: "ticketNumber"
                width: parent.width
                text: vm.ticket.number || ""
                color: ui.accent
                font.pixelSize: ui.giant * (root.landscape ? 0.85 : 1)
                lineHeight: 0.85   // digits have no descenders: less empty line box, same glyphs
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
            }
            Bi {
                width: parent.width
                zh: vm.ticket.service_name_zh || ""
                en: vm.ticket.service_name_en || ""
                size: ui.large
            }
            Bi {
                visible: !(root.landscape && ui.elder)
                width: parent.width
                zh: "前面还有 " + (vm.ticket.ahead || 0) + " 人 · 工作人员已收到通知（" + (vm.printError.zh || "") + "）"
                en: (vm.ticket.ahead || 0) + " ahead · staff have been alerted (" + (vm.printError.en || "") + ")"
                size: ui.body
            }
        }
        Item {
            width: parent.cell
            height: qrCard.height
            Rectangle {
                id: qrCard
                anchors.horizontalCenter: parent.horizontalCenter
                width: qr.width + 2 * ui.gap
                height: qr.height + 2 * ui.gap
                color: "#ffffff"
                radius: ui.radius / 2
                Image {
                    id: qr
                    objectName: "ticketQr"
                    anchors.centerIn: parent
                    width: (ui.elder ? (root.landscape ? 220 : 230) : (root.landscape ? 380 : 420)) * ui.unit
                    height: width
                    smooth: false
                    source: vm.ticket.status_url ? "image://qr/" + encodeURIComponent(vm.ticket.status_url) : ""
                }
            }
            Bi {
                // elder landscape: the queue line under the QR, where there is room
                visible: root.landscape && ui.elder
                anchors.top: qrCard.bottom
                anchors.topMargin: ui.gap / 2
                width: parent.width
                zh: "前面还有 " + (vm.ticket.ahead || 0) + " 人 · 工作人员已收到通知（" + (vm.printError.zh || "") + "）"
                en: (vm.ticket.ahead || 0) + " ahead · staff have been alerted (" + (vm.printError.en || "") + ")"
                size: ui.body
            }
        }
    }
}
