import QtQuick
import ".."

// Appointment check-in: type the 8-digit code on a large keypad, or scan it.
Item {
    Column {
        id: top
        anchors.left: parent.left
        anchors.top: parent.top
        width: root.landscape ? parent.width * (ui.elder ? 0.53 : 0.45) : parent.width
        spacing: ui.gap
        Bi {
            width: parent.width
            zh: "预约签到"
            en: "Appointment check-in"
            size: ui.large
            bold: true
        }
        Text {
            width: parent.width
            // elder: the title and the keypad say it; the room goes to the larger keys and the reader line
            visible: !ui.elder
            text: root.en ? "Type the 8-digit code, or scan the QR code from your appointment."
                          : "请输入 8 位预约码，或直接扫描预约二维码"
            color: ui.muted
            font.pixelSize: ui.body
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
        }
        Rectangle {
            width: parent.width
            height: ui.target
            radius: ui.radius
            color: ui.surface
            border.color: ui.primary
            border.width: ui.borderWidth * 2
            Text {
                objectName: "codeField"
                anchors.centerIn: parent
                // the empty placeholder is wider than 8 digits: shrink to fit the box
                width: parent.width - 2 * ui.gap
                horizontalAlignment: Text.AlignHCenter
                fontSizeMode: Text.HorizontalFit
                minimumPixelSize: ui.huge * ui.minFit
                text: vm.code !== "" ? vm.code : (ui.elder ? "________" : "— — — — — — — —")
                color: vm.code !== "" ? ui.text : ui.muted
                font.pixelSize: ui.huge
                font.bold: true
                font.letterSpacing: 6
            }
        }
        Text {
            // the ID-card reader (issue 16): a hint when it works, one line when it does not
            objectName: "readerLine"
            width: parent.width
            visible: vm.reader.state !== "none" && vm.reader.state !== "starting"
            text: vm.reader.state === "ok"
                  ? (root.en ? "Or place your ID card on the reader." : "也可将身份证放在阅读区签到")
                  : (root.en ? vm.reader.text_en + " — scan or type the code."
                             : vm.reader.text_zh + "，请扫码或输入预约码")
            color: vm.reader.state === "ok" ? ui.muted : ui.accent
            font.pixelSize: ui.body
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
        }
        Text {
            width: parent.width
            visible: vm.notice.title !== undefined
            text: vm.notice.title ? (root.en ? vm.notice.title.en : vm.notice.title.zh + "，" + vm.notice.body.zh) : ""
            color: ui.accent
            font.pixelSize: ui.body
            font.bold: true
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
        }
    }
    Keypad {
        anchors.right: parent.right
        anchors.bottom: root.landscape ? parent.bottom : submit.top
        anchors.bottomMargin: root.landscape ? 0 : ui.gap
        width: root.landscape ? parent.width * (ui.elder ? 0.45 : 0.52) : parent.width
        wide: ui.elder
        keyHeight: root.landscape ? (parent.height - (wide ? 2 : 3) * spacing) / (wide ? 3 : 4)
                                   : ui.target * 1.05
        onKey: (k) => vm.codeKey(k)
    }
    ActionButton {
        id: submit
        anchors.left: parent.left
        anchors.bottom: parent.bottom
        width: root.landscape ? parent.width * (ui.elder ? 0.53 : 0.45) : parent.width
        height: ui.target
        active: vm.code.length === 8
        text: root.en ? "Check in" : "签到"
        onTapped: vm.submitCode()
    }
}
