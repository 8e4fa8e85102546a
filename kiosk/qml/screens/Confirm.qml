import QtQuick
import ".."

// Confirm: the service, its required materials (一次性告知), options, and the big 取号 button.
// Landscape puts the options and the button in a column on the right.
Item {
    id: page
    property real leftWidth: root.landscape ? width * 0.56 : width
    property real rightWidth: root.landscape ? width - leftWidth - ui.gap : width
    // The whole list, always (一次性告知): a list longer than its box scrolls, with a hint.
    property var materialNames: vm.service.materials || []
    property var materialNamesEn: vm.service.materials_en || []
    function materialName(i) {
        return root.en && (materialNamesEn[i] || "") !== "" ? materialNamesEn[i] : materialNames[i]
    }
    property real materialsRoom: (root.landscape ? page.height : options.y - ui.gap) - materialsBox.y
                                 - (printToggle.visible ? printToggle.height + left.spacing : 0)

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
            wrapMode: Text.WordWrap
        }
        Rectangle {
            id: materialsBox
            width: parent.width
            height: Math.max(ui.body * 3, Math.min(materials.implicitHeight + 2 * ui.gap, page.materialsRoom))
            radius: ui.radius
            color: ui.surface
            border.color: ui.border
            border.width: ui.borderWidth
            Flickable {
                id: materialsFlick
                objectName: "materialsList"
                anchors.fill: parent
                anchors.margins: ui.gap
                contentHeight: materials.implicitHeight
                clip: true
                boundsBehavior: Flickable.StopAtBounds
                interactive: contentHeight > height
                Column {
                    id: materials
                    width: materialsFlick.width
                    spacing: ui.gap / 3
                    Text {
                        width: parent.width
                        text: root.en ? "Please have these documents ready" : "请准备以下材料（一次性告知）"
                        color: ui.text
                        font.pixelSize: ui.body
                        font.bold: true
                        wrapMode: Text.WordWrap
                    }
                    Repeater {
                        model: page.materialNames
                        delegate: Text {
                            required property var modelData
                            required property int index
                            width: materials.width
                            // 免提交: the platform already holds it as an electronic licence
                            readonly property bool free: (vm.service.materials_electronic || [])
                                                         .some(function (m) { return m.name === modelData })
                            text: (index + 1) + ". " + page.materialName(index)
                                  + (free ? (root.en ? "  — not needed (platform e-licence)"
                                                     : "  —— 免提交（平台已有电子证照）") : "")
                            color: ui.text
                            font.pixelSize: ui.body
                            wrapMode: Text.WordWrap
                        }
                    }
                    Text {
                        visible: page.materialNames.length === 0
                        width: parent.width
                        text: root.en ? "No documents needed." : "无需准备材料。"
                        color: ui.muted
                        font.pixelSize: ui.body
                    }
                }
            }
            Rectangle {
                // more below: say so, the list scrolls
                objectName: "moreMaterials"
                visible: materialsFlick.contentHeight > materialsFlick.height
                         && !materialsFlick.atYEnd
                anchors.bottom: parent.bottom
                anchors.horizontalCenter: parent.horizontalCenter
                anchors.bottomMargin: ui.borderWidth
                width: moreText.implicitWidth + 2 * ui.gap
                height: moreText.implicitHeight + ui.gap / 2
                radius: height / 2
                color: ui.accent
                Text {
                    id: moreText
                    anchors.centerIn: parent
                    text: root.en ? "▼ Swipe up for more (" + page.materialNames.length + " in all)"
                                  : "▼ 上滑查看全部（共 " + page.materialNames.length + " 项）"
                    color: ui.elder ? "#000000" : "#ffffff"
                    font.pixelSize: ui.small
                    font.bold: true
                }
            }
        }
        Tile {
            id: printToggle
            objectName: "printMaterialsToggle"
            width: parent.width
            height: root.landscape && !ui.elder ? 120 * ui.unit : Math.max(ui.target, implicitHeight)
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
        anchors.top: root.landscape ? parent.top : undefined
        anchors.bottom: root.landscape ? undefined : issueButton.top
        anchors.bottomMargin: root.landscape ? 0 : ui.gap
        width: page.rightWidth
        columns: root.landscape ? 1 : 2
        spacing: ui.gap
        property real cell: (width - (columns - 1) * spacing) / columns
        Tile {
            objectName: "greenTile"
            width: options.cell
            height: root.landscape && !ui.elder ? 130 * ui.unit : implicitHeight
            selected: vm.green.zh !== undefined
            title: vm.green.zh !== undefined ? ((root.en ? "Priority: " + vm.green.en : "绿色通道：" + vm.green.zh))
                                             : (root.en ? "Priority lane" : "绿色通道")
            subtitle: ui.elder && root.landscape ? "" : (root.en ? "Seniors, disabled, veterans, pregnant" : "老年人、残疾人、军人、孕妇等")
            titleSize: ui.body
            onTapped: vm.openGreen()
        }
        Tile {
            objectName: "phoneTile"
            width: options.cell
            height: root.landscape && !ui.elder ? 130 * ui.unit : implicitHeight
            selected: vm.phoneValid && vm.phoneConsent
            title: (vm.phoneValid && vm.phoneConsent) ? vm.phone : (root.en ? "Notify my phone" : "手机提醒")
            subtitle: ui.elder && root.landscape ? "" : (root.en ? "Optional" : "可选，叫号时通知您")
            titleSize: ui.body
            onTapped: vm.openPhone()
        }
    }
    ActionButton {
        id: issueButton
        objectName: "issueButton"
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        width: page.rightWidth
        height: ui.target * (root.landscape ? (ui.elder ? 1.05 : 1.2) : 1.3)
        fill: ui.accent
        ink: ui.elder ? "#000000" : "#ffffff"
        text: root.en ? "Take a number" : "确认取号"
        subtext: root.en ? "确认取号" : "Take a number"
        onTapped: vm.issue()
    }
}
