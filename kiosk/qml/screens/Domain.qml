import QtQuick
import ".."

// The services of one domain, each with its live wait; closed or full ones say so.
Item {
    id: page
    property int cols: ui.elder ? (root.landscape ? 2 : 1) : (root.landscape || vm.domainServices.length > 7 ? 2 : 1)
    property int rows: Math.max(1, Math.ceil(vm.domainServices.length / cols))
    // elder: rows tall enough for two lines of large title and the wait; the list scrolls
    property real rowHeight: ui.elder ? 330 * ui.unit
                                      : Math.max(112 * ui.unit, Math.min(ui.target * 1.1,
                                                 (height - title.height - ui.gap) / rows - list.spacing))
    Bi {
        id: title
        width: parent.width
        zh: (vm.domainName.zh || "") + " · 请选择业务"
        en: (vm.domainName.en || "") + " · choose a service"
        size: ui.large
        bold: true
    }
    Flickable {
        id: flick
        anchors.top: title.bottom
        anchors.topMargin: ui.gap
        anchors.bottom: parent.bottom
        width: parent.width
        contentHeight: list.height
        clip: true
        interactive: contentHeight > height
        boundsBehavior: Flickable.StopAtBounds
    Grid {
        id: list
        width: parent.width
        columns: page.cols
        spacing: ui.gap * 0.8
        Repeater {
            model: vm.domainServices
            delegate: Tile {
                fit: true
                required property var modelData
                width: (list.width - (list.columns - 1) * list.spacing) / list.columns
                height: page.rowHeight
                title: root.en ? modelData.name_en : modelData.name_zh
                subtitle: !modelData.open_now ? (root.en ? "Closed now" : "暂停办理")
                        : modelData.full ? (root.en ? "Full today · book another day" : "今日号已取完 · 可另约他日")
                        : modelData.no_window ? (root.en ? "No window serves this now" + (modelData.opens_at ? "; opens " + modelData.opens_at : "")
                                                         : "当前无窗口办理" + (modelData.opens_at ? "，预计 " + modelData.opens_at + " 开放" : ""))
                        : root.en ? ("Waiting " + modelData.waiting + " · about " + modelData.eta_minutes + " min")
                                  : ("等候 " + modelData.waiting + " 人 · 约 " + modelData.eta_minutes + " 分钟")
                badge: !modelData.open_now ? (root.en ? "Closed" : "暂停")
                     : modelData.full ? (root.en ? "Full" : "已满") : ""
                ink: (modelData.open_now && !modelData.full) ? ui.text : ui.muted
                onTapped: vm.chooseService(modelData.id)
            }
        }
    }
    }
    MoreBelow { flick: flick }
}
