import QtQuick
import ".."

// Home: the pinned services and every domain, each one tap away, sized so that all of
// them fit on one screen (no scrolling for people new to touch screens); the other
// services (check-in, rating, complaints, help) below, or on the right in landscape.
// Elder mode (适老模式): fewer, larger tiles (two or three columns) in pages with large
// 上一页/下一页 buttons; every title 1.45x the size it has in standard mode.
Item {
    id: home
    objectName: "home"
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
    // The title size standard mode gives (its own column count), times the elder scale.
    property int stdCols: root.landscape ? (rowsAt(4) <= 4 ? 4 : 5)
                                         : (rowsAt(2) <= 6 ? 2 : (rowsAt(3) <= 7 ? 3 : 4))
    property real tileTitle: ui.scale * Math.min(56, root.landscape || stdCols > 2 ? 44 : 56) * ui.unit

    // -- elder mode: one paged list of the pinned services, then the domains
    property var elderItems: vm.pinned.map(function (s) { return {"kind": "service", "d": s} })
                             .concat(vm.domains.map(function (d) { return {"kind": "domain", "d": d} }))
    property int elderCols: root.landscape ? 3 : 2
    property real elderSpace: height - title.height - pager.height - 3 * spacing
                              - (root.landscape ? 0 : moreGrid.height + ui.gap)
    // rows of at least 230 px (two lines of title and the wait), as many as fit
    property int elderRows: Math.max(1, Math.floor(elderSpace / ((root.en ? 300 : 230) * ui.unit + spacing)))
    property real elderTileHeight: Math.min(440 * ui.unit, elderSpace / elderRows - spacing)
    property int perPage: elderCols * elderRows
    property int pages: Math.max(1, Math.ceil(elderItems.length / perPage))
    property int page: 0
    onPagesChanged: if (page >= pages) page = 0

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
            visible: !root.landscape && !ui.elder
            height: visible ? implicitHeight : 0
            text: root.en ? "Have an appointment? Scan its QR code at any time."
                          : "有预约？随时在扫码口扫描预约二维码即可签到"
            color: ui.muted
            font.pixelSize: ui.small
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
        }
        Text {
            id: pinnedLabel
            visible: vm.pinned.length > 0 && !root.landscape && !ui.elder
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
            visible: vm.pinned.length > 0 && !ui.elder
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
            visible: !root.landscape && !ui.elder
            height: visible ? ui.body * 1.35 : 0
            text: root.en ? "By department" : "按部门选择"
            color: ui.text
            font.pixelSize: ui.body
            font.bold: true
        }
        Grid {
            id: domainGrid
            objectName: "domainGrid"
            visible: !ui.elder
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
    
        Grid {
            id: elderGrid
            objectName: "elderGrid"
            visible: ui.elder
            width: parent.width
            columns: home.elderCols
            spacing: home.spacing
            Repeater {
                model: ui.elder ? home.elderItems.slice(home.page * home.perPage, (home.page + 1) * home.perPage) : []
                delegate: Tile {
                    fit: true
                    required property var modelData
                    width: (elderGrid.width - (home.elderCols - 1) * elderGrid.spacing) / home.elderCols
                    height: home.elderTileHeight
                    title: modelData.kind === "service" ? (root.en ? modelData.d.name_en : modelData.d.name_zh)
                                                        : (root.en ? modelData.d.name_en : modelData.d.name)
                    titleSize: home.tileTitle
                    subtitle: modelData.kind === "service" ? home.waitLine(modelData.d)
                            : !modelData.d.open ? (root.en ? "Closed now" : "暂停办理")
                            : root.en ? (modelData.d.waiting + " waiting") : ("等候 " + modelData.d.waiting + " 人")
                    active: modelData.kind !== "service" || (modelData.d.open_now && !modelData.d.full)
                    fill: modelData.kind === "service" ? "#000000" : ui.surface
                    onTapped: modelData.kind === "service" ? vm.chooseService(modelData.d.id)
                                                           : vm.openDomain(modelData.d.id)
                }
            }
        }
        Row {
            id: pager
            objectName: "elderPager"
            visible: ui.elder && home.pages > 1
            height: visible ? ui.target * 0.9 : 0
            width: parent.width
            spacing: ui.gap
            property real cell: (width - 2 * spacing) / 3
            Tile {
                fit: true
                width: pager.cell; height: pager.height
                active: home.page > 0
                title: root.en ? "‹ Previous" : "‹ 上一页"
                titleSize: ui.body
                onTapped: home.page = Math.max(0, home.page - 1)
            }
            Text {
                width: pager.cell; height: pager.height
                text: (home.page + 1) + " / " + home.pages
                color: ui.text
                font.pixelSize: ui.body
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
                verticalAlignment: Text.AlignVCenter
            }
            Tile {
                fit: true
                width: pager.cell; height: pager.height
                active: home.page < home.pages - 1
                title: root.en ? "Next ›" : "下一页 ›"
                titleSize: ui.body
                onTapped: home.page = Math.min(home.pages - 1, home.page + 1)
            }
        }
    }

    Grid {
        id: moreGrid
        anchors.right: parent.right
        anchors.top: root.landscape ? parent.top : undefined
        anchors.bottom: root.landscape ? undefined : parent.bottom
        width: root.landscape ? parent.width - home.mainWidth - ui.gap : parent.width
        columns: root.landscape ? 1 : (ui.elder ? 2 : 4)
        spacing: home.spacing
        property real cell: (width - (columns - 1) * spacing) / columns
        property real cellHeight: root.landscape ? (home.height - 3 * spacing) / 4
                                                 : (ui.elder ? 200 * ui.unit : ui.target)
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
