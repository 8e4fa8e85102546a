import QtQuick
import ".."

// A clear answer and what to do next (closed service, unknown code, refused request).
Item {
    id: page
    property bool hasQr: (vm.notice.qr || "") !== ""
    property real qrSide: (root.landscape ? 300 : 320) * ui.unit
    Column {
        // landscape with a QR: the words on the left, the QR on the right
        anchors.verticalCenter: parent.verticalCenter
        anchors.left: parent.left
        width: root.landscape && page.hasQr ? parent.width - page.qrSide - ui.gap * 2 : parent.width
        spacing: ui.gap * (root.landscape ? 1.2 : 2)
        Bi {
            width: parent.width
            zh: vm.notice.title ? vm.notice.title.zh : ""
            en: vm.notice.title ? vm.notice.title.en : ""
            size: ui.huge * 0.8
            bold: true
            ink: vm.notice.kind === "error" ? ui.accent : ui.text
        }
        Bi {
            width: parent.width
            zh: vm.notice.body ? vm.notice.body.zh : ""
            en: vm.notice.body ? vm.notice.body.en : ""
            size: ui.large
        }
        Rectangle {
            width: parent.width
            visible: vm.notice.next !== undefined && vm.notice.next.zh !== ""
            height: nextText.implicitHeight + 2 * ui.gap
            radius: ui.radius
            color: ui.elder ? "#000000" : "#e8f0fb"
            border.color: ui.primary
            border.width: ui.borderWidth
            Bi {
                id: nextText
                anchors.centerIn: parent
                width: parent.width - 2 * ui.gap
                zh: vm.notice.next ? vm.notice.next.zh : ""
                en: vm.notice.next ? vm.notice.next.en : ""
                size: ui.body
                bold: true
            }
        }
        Loader {
            anchors.horizontalCenter: parent.horizontalCenter
            active: page.hasQr && !root.landscape
            sourceComponent: qrCard
        }
    }
    Loader {
        anchors.right: parent.right
        anchors.verticalCenter: parent.verticalCenter
        active: page.hasQr && root.landscape
        sourceComponent: qrCard
    }
    Component {
        id: qrCard
        Rectangle {
            // 另约他日: the booking page, to open on the citizen's phone
            objectName: "bookingQr"
            width: page.qrSide
            height: width
            color: "#ffffff"
            radius: ui.radius / 2
            Image {
                anchors.fill: parent
                anchors.margins: ui.gap * 0.6
                smooth: false
                source: page.hasQr ? "image://qr/" + encodeURIComponent(vm.notice.qr) : ""
            }
        }
    }
}
