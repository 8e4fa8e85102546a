import QtQuick
import ".."

// Optional phone number for notices, with a one-line consent.
Item {
    id: page
    Column {
        id: top
        anchors.left: parent.left
        anchors.top: parent.top
        width: root.landscape ? parent.width * (ui.elder ? 0.53 : 0.45) : parent.width
        spacing: ui.gap
        Bi {
            width: parent.width
            zh: "手机号（可选）"
            en: "Mobile number (optional)"
            size: ui.large
            bold: true
        }
        Rectangle {
            width: parent.width
            height: ui.target
            radius: ui.radius
            color: ui.surface
            border.color: ui.primary
            border.width: ui.borderWidth * 2
            Text {
                objectName: "phoneField"
                anchors.centerIn: parent
                text: vm.phone !== "" ? vm.phone : (root.en ? "11 digits" : "请输入 11 位手机号")
                color: vm.phone !== "" ? ui.text : ui.muted
                font.pixelSize: vm.phone !== "" ? ui.huge : ui.body
                font.bold: true
                font.letterSpacing: 4
            }
        }
        Tile {
            objectName: "consentToggle"
            width: parent.width
            selected: vm.phoneConsent
            titleSize: ui.body
            title: (vm.phoneConsent ? "✔ " : "☐ ") + (vm.phoneTarget === "complaint"
                ? (root.en ? "I agree: use this number only to call me back about this"
                           : "我同意：仅用于本次反映的回访")
                : (root.en ? "I agree: use this number only to notify me today"
                           : "我同意：仅用于今日叫号通知"))
            onTapped: vm.togglePhoneConsent()
        }
        Text {
            width: parent.width
            visible: vm.notice.title !== undefined
            text: vm.notice.title ? (root.en ? vm.notice.title.en + " — " + vm.notice.body.en
                                             : vm.notice.title.zh + "：" + vm.notice.body.zh) : ""
            color: ui.accent
            font.pixelSize: ui.body
            font.bold: true
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
        }
    }
    Keypad {
        anchors.right: parent.right
        anchors.bottom: root.landscape ? parent.bottom : actions.top
        anchors.bottomMargin: root.landscape ? 0 : ui.gap
        width: root.landscape ? parent.width * (ui.elder ? 0.45 : 0.52) : parent.width
        wide: root.landscape && ui.elder
        keyHeight: root.landscape ? (parent.height - (wide ? 2 : 3) * spacing) / (wide ? 3 : 4) : (ui.elder ? 175 * ui.unit : ui.target * 1.05)
        onKey: (k) => vm.phoneKey(k)
    }
    Row {
        id: actions
        anchors.left: parent.left
        anchors.bottom: parent.bottom
        width: root.landscape ? parent.width * (ui.elder ? 0.53 : 0.45) : parent.width
        spacing: ui.gap
        Tile {
            width: (parent.width - ui.gap) / 2
            title: root.en ? "Skip" : "不留手机号"
            onTapped: vm.phoneSkip()
        }
        ActionButton {
            width: (parent.width - ui.gap) / 2
            height: ui.target
            text: root.en ? "OK" : "确定"
            onTapped: vm.phoneDone()
        }
    }
}
