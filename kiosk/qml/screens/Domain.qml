import QtQuick
import ".."

// The services of one domain, each with its live wait; closed or full ones say so.
Column {
    id: page
    spacing: ui.gap
    Bi {
        width: parent.width
        zh: vm.domain + " · 请选择业务"
        en: "Choose a service"
        size: ui.large
        bold: true
    }
    Repeater {
        model: vm.domainServices
        delegate: Tile {
            required property var modelData
            width: page.width
            title: root.en ? modelData.name_en : modelData.name_zh
            subtitle: !modelData.open_now ? (root.en ? "Closed now" : "暂停办理")
                    : modelData.full ? (root.en ? "All tickets taken today" : "今日号已取完")
                    : root.en ? ("Waiting " + modelData.waiting + " · about " + modelData.eta_minutes + " min")
                              : ("等候 " + modelData.waiting + " 人 · 约 " + modelData.eta_minutes + " 分钟")
            badge: !modelData.open_now ? (root.en ? "Closed" : "暂停")
                 : modelData.full ? (root.en ? "Full" : "已满") : ""
            active: true
            ink: (modelData.open_now && !modelData.full) ? ui.text : ui.muted
            onTapped: vm.chooseService(modelData.id)
        }
    }
}
