import QtQuick
import ".."

// Home: the pinned services and every domain, each one tap away, sized so that all of
// them fit on one screen (no scrolling for people new to touch screens); the other
// services (check-in, rating, complaints, help) below, or on the right in landscape.
Item {
    id: home
    property int nPinned: vm.pinned.length
    property int nDomains: vm.domains.length
    function rowsAt(c) { return Math.ceil(nPinned / c) + Math.ceil(nDomains / c) }
    // Fewest columns whose rows still fit; more columns means smaller tiles.
    property int cols: root.landscape ? (rowsAt(4) <= 4 ? 4 : 5)
                                      : (rowsAt(2) <= 6 ? 2 : (rowsAt(3) <= 7 ? 3 : 4))
    property int rows: Math.max(1, rowsAt(cols))
    property real mainWidth: root.landscape ? width * 0.74 : width
    property real spacing: ui.gap * 0.7
    // What is left for the two grids once titles, labels and the bottom row are placed.
    property real gridSpace: height - title.height - hint.height - pinnedLabel.height
                             - domainLabel.height - (root.landscape ? 0 : moreGrid.height + ui.gap)
                             - 5 * spacing
    property real tileHeight: Math.max(112 * ui.unit,
                                       Math.min(ui.target * 1.25, gridSpace / rows - spacing))
    property real tileTitle: Math.min(ui.large, root.landscape || cols > 2 ? ui.body * 1.1 : ui.large)

    function waitLine(s) {
        if (!s.open_now) return root.en ? "Closed now" : "暂停办理"
        if (s.full) return root.en ? "Full today" : "今日已满"
        if (s.no_window) return root.en ? "No window open now" : "当前无窗口办理"
        // Narrow tiles get the short form; the confirm screen shows the estimated wait.
        if (cols > 2) return root.en ? (s.waiting + " waiting") : ("等候 " + s.waiting + " 人")
        return root.en ? (s.waiting + " waiting · ~" + s.eta_minutes + " min")
                       : ("等候 " + s.waiting + " 人 · 约 " + s.eta_minutes + " 分钟")
    }

    Column {
        id: main
        anchors.left: parent.left
        anchors.top: parent.top
        width: home.mainWidth
        spacing: home.spacing

        Bi {
            id: title
            width: parent.width
            zh: "请选择要办理的业务"
            en: "Please choose a service"
            size: ui.large
            bold: true
        }
        Text {
            id: hint
            width: parent.width
            visible: !root.landscape
            height: visible ? implicitHeight : 0
            text: root.en ? "Have an appointment? Scan its QR code at any time."
                          : "有预约？随时在扫码口扫描预约二维码即可签到"
            color: ui.muted
            font.pixelSize: ui.small
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignHCenter
        }
        Text {
            id: pinnedLabel
            visible: vm.pinned.length > 0 && !root.landscape
            height: visible ? ui.body * 1.35 : 0
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
            spacing: home.spacing
            visible: vm.pinned.length > 0
            Repeater {
                model: vm.pinned
                delegate: Tile {
                    fit: true
                    required property var modelData
                    width: (pinnedGrid.width - (home.cols - 1) * pinnedGrid.spacing) / home.cols
                    height: home.tileHeight
                    title: root.en ? modelData.name_en : modelData.name_zh
                    titleSize: home.tileTitle
                    subtitle: home.waitLine(modelData)
                    active: modelData.open_now && !modelData.full
                    fill: ui.elder ? "#000000" : "#e8f0fb"
                    onTapped: vm.chooseService(modelData.id)
                }
            }
        }
        Text {
            id: domainLabel
            visible: !root.landscape
            height: visible ? ui.body * 1.35 : 0
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
            spacing: home.spacing
            Repeater {
                model: vm.domains
                delegate: Tile {
                    fit: true
                    required property var modelData
                    width: (domainGrid.width - (home.cols - 1) * domainGrid.spacing) / home.cols
                    height: home.tileHeight
                    title: root.en ? modelData.name_en : modelData.name
                    titleSize: home.tileTitle
                    subtitle: !modelData.open ? (root.en ? "Closed now" : "暂停办理")
                            : root.en ? (modelData.waiting + " waiting")
                                      : ("等候 " + modelData.waiting + " 人")
                    ink: modelData.open ? ui.text : ui.muted
                    onTapped: vm.openDomain(modelData.id)
                }
            }
        }
    }

    Grid {
        id: moreGrid
        anchors.right: parent.right
        anchors.top: root.landscape ? parent.top : undefined
        anchors.bottom: root.landscape ? undefined : parent.bottom
        width: root.landscape ? parent.width - home.mainWidth - ui.gap : parent.width
        columns: root.landscape ? 1 : 4
        spacing: home.spacing
        property real cell: (width - (columns - 1) * spacing) / columns
        property real cellHeight: root.landscape ? (home.height - 3 * spacing) / 4 : ui.target
        Repeater {
            model: [
                {"zh": "预约签到", "en": "Check-in", "sub": "输入或扫码", "subEn": "Code or QR", "act": "checkin"},
                {"zh": "好差评", "en": "Rate us", "sub": "扫号票二维码", "subEn": "Scan ticket QR", "act": "rate"},
                {"zh": "吐槽找茬", "en": "Complain", "sub": "投诉与建议", "subEn": "Or suggest", "act": "complaint"},
                {"zh": "帮办代办", "en": "Get help", "sub": "呼叫工作人员", "subEn": "Call staff", "act": "help"}
            ]
            delegate: Tile {
                fit: true
                required property var modelData
                objectName: modelData.act + "Tile"
                width: moreGrid.cell
                height: moreGrid.cellHeight
                title: root.en ? modelData.en : modelData.zh
                titleSize: ui.body * 1.1
                subtitle: root.en ? modelData.subEn : modelData.sub
                fill: modelData.act === "help" ? (ui.elder ? "#000000" : "#fff4e5") : ui.surface
                onTapped: {
                    if (modelData.act === "checkin") vm.openCheckin()
                    else if (modelData.act === "rate") vm.openRateHint()
                    else if (modelData.act === "complaint") vm.openComplaint()
                    else vm.requestHelp()
                }
            }
        }
    }
}
