import QtQuick
import ".."

// Manager sign-in behind the hidden gesture: staff ID (letters and digits), then PIN.
Item {
    id: page
    property bool staffField: vm.pin.field === "staff"
    property var alnum: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "A", "B", "C", "D",
                         "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R",
                         "S", "T", "U", "V", "W", "X", "Y", "Z", "clear", "back"]
    property var digits: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back"]

    Column {
        id: side
        anchors.left: parent.left
        anchors.top: parent.top
        width: root.landscape ? parent.width * 0.38 : parent.width
        spacing: ui.gap
        Bi {
            width: parent.width
            zh: "管理员登录"
            en: "Manager sign-in"
            size: ui.large
            bold: true
        }
        Grid {
            width: parent.width
            columns: root.landscape ? 1 : 2
            spacing: ui.gap
            Tile {
                width: root.landscape ? parent.width : (parent.width - ui.gap) / 2
                selected: page.staffField
                title: vm.pin.staff !== "" ? vm.pin.staff : "—"
                subtitle: root.en ? "Staff ID" : "工号"
                onTapped: vm.pinField("staff")
            }
            Tile {
                width: root.landscape ? parent.width : (parent.width - ui.gap) / 2
                selected: !page.staffField
                title: vm.pin.pin !== "" ? "●".repeat(vm.pin.pin.length) : "—"
                subtitle: root.en ? "PIN" : "密码"
                onTapped: vm.pinField("pin")
            }
        }
        Text {
            width: parent.width
            visible: vm.pin.error !== ""
            text: vm.pin.error
            color: ui.accent
            font.pixelSize: ui.body
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
        }
    }
    Keypad {
        id: pad
        anchors.right: parent.right
        anchors.bottom: root.landscape ? parent.bottom : actions.top
        anchors.bottomMargin: root.landscape ? 0 : ui.gap
        width: root.landscape ? parent.width * 0.58 : parent.width
        columns: page.staffField ? 6 : 3
        keys: page.staffField ? page.alnum : page.digits
        spacing: ui.gap * 0.8
        keyHeight: root.landscape ? (page.staffField ? 88 : 150) * ui.unit
                                  : (page.staffField ? 128 : 165) * ui.unit
        onKey: (k) => vm.pinKey(k)
    }
    Column {
        id: actions
        anchors.left: parent.left
        anchors.bottom: parent.bottom
        width: root.landscape ? parent.width * 0.38 : parent.width
        spacing: ui.gap
        Row {
            width: parent.width
            spacing: ui.gap
            Tile {
                width: (parent.width - ui.gap) / 2
                title: root.en ? "Cancel" : "取消"
                onTapped: vm.goHome()
            }
            ActionButton {
                width: (parent.width - ui.gap) / 2
                height: ui.target
                text: page.staffField ? (root.en ? "Next" : "下一步") : (root.en ? "Sign in" : "登录")
                onTapped: page.staffField ? vm.pinKey("next") : vm.submitPin()
            }
        }
    }
}
