import QtQuick
import ".."

// Green channel: pick the reason; the ticket is marked and called first.
// Elder mode: the larger tiles scroll.
Flickable {
    id: flick
    contentHeight: page.implicitHeight
    clip: true
    interactive: contentHeight > height
    boundsBehavior: Flickable.StopAtBounds
Column {
    id: page
    width: flick.width
    spacing: ui.gap
    Bi {
        width: parent.width
        zh: "绿色通道 · 请选择情况"
        en: "Priority lane · choose what applies"
        size: ui.large
        bold: true
    }
    Text {
        width: parent.width
        text: root.en ? "Staff may ask for proof at the window." : "窗口工作人员可能会核实相关证件"
        color: ui.muted
        font.pixelSize: ui.small
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.WordWrap
    }
    Grid {
        id: grid
        width: parent.width
        columns: root.landscape ? 3 : 2
        spacing: ui.gap
        property real cell: (width - (columns - 1) * spacing) / columns
        property real cellHeight: ui.elder ? (root.landscape ? 280 : 300) * ui.unit
                                            : (root.landscape ? 170 * ui.unit : ui.target * 1.2)
        Repeater {
            model: vm.greenReasons
            delegate: Tile {
                fit: true
                required property var modelData
                width: grid.cell
                height: grid.cellHeight
                title: root.en ? modelData.en : modelData.zh
                subtitle: root.en ? modelData.zh : modelData.en
                selected: vm.green.id === modelData.id
                titleSize: ui.body * 1.2
                onTapped: vm.chooseGreen(modelData.id)
            }
        }
        Tile {
            fit: true
            width: grid.cell
            height: grid.cellHeight
            titleSize: ui.body * 1.2
            title: root.en ? "Not needed" : "不需要"
            subtitle: root.en ? "不需要" : "Not needed"
            onTapped: vm.clearGreen()
        }
    }
}
}
