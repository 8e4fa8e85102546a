import QtQuick
import ".."

// Confirm: the service, its required materials (一次性告知), options, and the big 取号 button.
// Landscape puts the options and the button in a column on the right.
Item {
    id: page
    property real leftWidth: root.landscape ? width * 0.56 : width
    property real rightWidth: root.landscape ? width - leftWidth - ui.gap : width
    property int maxShown: root.landscape ? (ui.elder ? 3 : 5) : (ui.elder ? 4 : 9)

    Column {
        id: left
        anchors.left: parent.left
        anchors.top: parent.top
        width: page.leftWidth
        spacing: ui.gap * (root.landscape ? 0.6 : 1)
        Bi {
            width: parent.width
            zh: vm.service.name_zh || ""
            en: vm.service.name_en || ""
            size: root.landscape ? ui.large : ui.huge * 0.8
            bold: true
        }
        Text {
            width: parent.width
            // 当前无窗口办理: said before the ticket is taken
            text: vm.service.no_window
                  ? (root.en ? "No window serves this right now" + (vm.service.opens_at ? "; expected to open at " + vm.service.opens_at : "; please ask at the desk")
                             : "当前无窗口办理" + (vm.service.opens_at ? "，预计 " + vm.service.opens_at + " 开放" : "，请到咨询台询问"))
                  : root.en ? ("Waiting " + vm.service.waiting + " · about " + vm.service.eta_minutes + " min")
                          : ("前面等候 " + vm.service.waiting + " 人 · 约 " + vm.service.eta_minutes + " 分钟")
            color: ui.muted
            font.pixelSize: ui.body
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
        }
        Rectangle {
            width: parent.width
            height: materials.implicitHeight + 2 * ui.gap
            radius: ui.radius
            color: ui.surface
            border.color: ui.border
            border.width: ui.borderWidth
            Column {
                id: materials
                anchors.left: parent.left
                anchors.right: parent.right
                anchors.top: parent.top
                anchors.margins: ui.gap
                spacing: ui.gap / 3
                Text {
                    width: parent.width
                    text: root.en ? "Please have these documents ready" : "请准备以下材料（一次性告知）"
                    color: ui.text
                    font.pixelSize: ui.body
                    font.bold: true
                    wrapMode: Text.Wrap
                }
                Repeater {
                    // A long list would push the buttons off screen: show the first few and
                    // offer the printed list (一次性告知单) for the rest.
                    model: (vm.service.materials || []).slice(0, page.maxShown)
                    delegate: Text {
                        required property var modelData
                        required property int index
                        width: materials.width
                        // 免提交: the platform already holds it as an electronic licence
                        readonly property bool free: (vm.service.materials_electronic || [])
                                                     .some(function (m) { return m.name === modelData })
                        text: (index + 1) + ". " + modelData + (free ? (root.en ? "  — not needed (platform e-licence)"
                                                                              : "  —— 免提交（平台已有电子证照）") : "")
                        color: ui.text
                        font.pixelSize: ui.body
                        wrapMode: Text.Wrap
                    }
                }
                Text {
                    visible: (vm.service.materials || []).length > page.maxShown
                    width: parent.width
                    text: root.en ? ("… " + (vm.service.materials || []).length + " items in all: print the list")
                                  : ("…… 共 " + (vm.service.materials || []).length + " 项，请打印材料清单查看全部")
                    color: ui.accent
                    font.pixelSize: ui.body
                    font.bold: true
                    wrapMode: Text.Wrap
                }
                Text {
                    visible: (vm.service.materials || []).length === 0
                    width: parent.width
                    text: root.en ? "No documents needed." : "无需准备材料。"
                    color: ui.muted
                    font.pixelSize: ui.body
                }
            }
        }
        Tile {
            objectName: "printMaterialsToggle"
            width: parent.width
            height: root.landscape ? 120 * ui.unit : ui.target
            visible: (vm.service.materials || []).length > 0
            selected: vm.printMaterials
            title: (vm.printMaterials ? "✔ " : "") + (root.en ? "Also print this list" : "同时打印材料清单")
            titleSize: ui.body
            onTapped: vm.togglePrintMaterials()
        }
    }

    Grid {
        id: options
        anchors.right: parent.right
        anchors.top: root.landscape ? parent.top : left.bottom
        anchors.topMargin: root.landscape ? 0 : ui.gap
        width: page.rightWidth
        columns: root.landscape ? 1 : 2
        spacing: ui.gap
        property real cell: (width - (columns - 1) * spacing) / columns
        Tile {
            objectName: "greenTile"
            width: options.cell
            height: root.landscape ? 130 * ui.unit : implicitHeight
            selected: vm.green.zh !== undefined
            title: vm.green.zh !== undefined ? ((root.en ? "Priority: " + vm.green.en : "绿色通道：" + vm.green.zh))
                                             : (root.en ? "Priority lane" : "绿色通道")
            subtitle: root.en ? "Seniors, disabled, veterans, pregnant" : "老年人、残疾人、军人、孕妇等"
            titleSize: ui.body
            onTapped: vm.openGreen()
        }
        Tile {
            objectName: "phoneTile"
            width: options.cell
            height: root.landscape ? 130 * ui.unit : implicitHeight
            selected: vm.phoneValid && vm.phoneConsent
            title: (vm.phoneValid && vm.phoneConsent) ? vm.phone : (root.en ? "Notify my phone" : "手机提醒")
            subtitle: root.en ? "Optional" : "可选，叫号时通知您"
            titleSize: ui.body
            onTapped: vm.openPhone()
        }
    }
    ActionButton {
        objectName: "issueButton"
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        width: page.rightWidth
        height: ui.target * (root.landscape ? 1.2 : 1.3)
        fill: ui.accent
        ink: ui.elder ? "#000000" : "#ffffff"
        text: root.en ? "Take a number" : "确认取号"
        subtext: root.en ? "确认取号" : "Take a number"
        onTapped: vm.issue()
    }
}
