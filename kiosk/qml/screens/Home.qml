import QtQuick
import ".."

// Home: pinned services, the hall's domains (live waiting counts), and the other services.
// Portrait stacks them; landscape puts the other services in a column on the right.
Item {
    id: home
    property int cols: root.landscape ? 3 : 2
    property real mainWidth: root.landscape ? width * 0.72 : width
    property real tileHeight: root.landscape ? 132 * ui.unit * (ui.elder ? 1.15 : 1) : ui.target

    function waitLine(s) {
        if (!s.open_now) return root.en ? "Closed now" : "暂停办理"
        if (s.full) return root.en ? "Full today" : "今日已满"
        return root.en ? (s.waiting + " waiting · ~" + s.eta_minutes + " min")
                       : ("等候 " + s.waiting + " 人 · 约 " + s.eta_minutes + " 分钟")
    }

    Column {
        id: main
        anchors.left: parent.left
        anchors.top: parent.top
        width: home.mainWidth
        spacing: ui.gap * (root.landscape ? 0.7 : 1)

        Bi {
            width: parent.width
            zh: "请选择要办理的业务"
            en: "Please choose a service"
            size: ui.large
            bold: true
        }
        Text {
            width: parent.width
            visible: !root.landscape
            text: root.en ? "Have an appointment? Scan its QR code at any time."
                          : "有预约？随时在下方扫码口扫描预约二维码即可签到"
            color: ui.muted
            font.pixelSize: ui.small
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignHCenter
        }

        Text {
            visible: vm.pinned.length > 0
            text: root.en ? "Most requested" : "常办业务"
            color: ui.text
            font.pixelSize: ui.body
            font.bold: true
        }
        Grid {
            id: pinnedGrid
            objectName: "pinnedGrid"
            width: parent.width
            columns: home.cols
            spacing: ui.gap * 0.8
            visible: vm.pinned.length > 0
            Repeater {
                model: vm.pinned
                delegate: Tile {
                    fit: true
                    required property var modelData
                    width: (pinnedGrid.width - (home.cols - 1) * pinnedGrid.spacing) / home.cols
                    height: home.tileHeight
                    title: root.en ? modelData.name_en : modelData.name_zh
                    titleSize: root.landscape ? ui.body * 1.1 : ui.large
                    subtitle: home.waitLine(modelData)
                    active: modelData.open_now && !modelData.full
                    fill: ui.elder ? "#000000" : "#e8f0fb"
                    onTapped: vm.chooseService(modelData.id)
                }
            }
        }

        Text {
            visible: !root.landscape
            text: root.en ? "By department" : "按部门选择"
            color: ui.text
            font.pixelSize: ui.body
            font.bold: true
        }
        Grid {
            id: domainGrid
            objectName: "domainGrid"
            width: parent.width
            columns: home.cols
            spacing: ui.gap * 0.8
            Repeater {
                model: vm.domains
                delegate: Tile {
                    fit: true
                    required property var modelData
                    width: (domainGrid.width - (home.cols - 1) * domainGrid.spacing) / home.cols
                    height: home.tileHeight
                    title: (root.en && modelData.name_en) ? modelData.name_en : modelData.name
                    titleSize: root.landscape ? ui.body * 1.1 : ui.large
                    subtitle: !modelData.open ? (root.en ? "Closed now" : "暂停办理")
                            : root.en ? (modelData.count + (modelData.count === 1 ? " service · " : " services · ") + modelData.waiting + " waiting")
                                      : (modelData.count + " 项业务 · 等候 " + modelData.waiting + " 人")
                    ink: modelData.open ? ui.text : ui.muted
                    onTapped: vm.openDomain(modelData.name)
                }
            }
        }
    }

    Grid {
        id: moreGrid
        anchors.right: parent.right
        anchors.top: root.landscape ? parent.top : main.bottom
        anchors.topMargin: root.landscape ? 0 : ui.gap
        width: root.landscape ? parent.width - home.mainWidth - ui.gap : parent.width
        columns: root.landscape ? 1 : 2
        spacing: ui.gap * (root.landscape ? 0.7 : 1)
        property real cell: (width - (columns - 1) * spacing) / columns
        property real cellHeight: root.landscape ? (home.height - 3 * spacing) / 4 : ui.target
        Tile {
            fit: true
            objectName: "checkinTile"
            width: moreGrid.cell
            height: moreGrid.cellHeight
            title: root.en ? "Appointment check-in" : "预约签到"
            titleSize: root.landscape ? ui.body * 1.1 : ui.large
            subtitle: root.en ? "Type or scan your code" : "输入或扫描预约码"
            onTapped: vm.openCheckin()
        }
        Tile {
            fit: true
            width: moreGrid.cell
            height: moreGrid.cellHeight
            title: root.en ? "Rate a service" : "好差评"
            titleSize: root.landscape ? ui.body * 1.1 : ui.large
            subtitle: root.en ? "Scan your ticket's QR" : "扫描号票二维码评价"
            onTapped: vm.openRateHint()
        }
        Tile {
            fit: true
            width: moreGrid.cell
            height: moreGrid.cellHeight
            title: root.en ? "Complaint / suggestion" : "吐槽找茬"
            titleSize: root.landscape ? ui.body * 1.1 : ui.large
            subtitle: root.en ? "Tell us what went wrong" : "投诉与建议"
            onTapped: vm.openComplaint()
        }
        Tile {
            fit: true
            objectName: "helpTile"
            width: moreGrid.cell
            height: moreGrid.cellHeight
            title: root.en ? "Call a helper" : "帮办代办"
            titleSize: root.landscape ? ui.body * 1.1 : ui.large
            subtitle: root.en ? "Someone comes to you" : "一键呼叫工作人员"
            fill: ui.elder ? "#000000" : "#fff4e5"
            onTapped: vm.requestHelp()
        }
    }
}
