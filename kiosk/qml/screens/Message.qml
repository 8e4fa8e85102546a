import QtQuick
import ".."

// A clear answer and what to do next (closed service, unknown code, refused request).
Item {
    Column {
        anchors.centerIn: parent
        width: parent.width
        spacing: ui.gap * 2
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
    }
}
