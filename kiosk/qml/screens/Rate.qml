import QtQuick
import ".."

// Rate (好差评) a finished service: five levels, reasons for a bad one.
Item {
    id: page
    property real levelHeight: (root.landscape ? 150 : 125) * ui.unit * (ui.elder ? 1.5 : 1)
    // elder mode: the larger levels and reasons scroll above the fixed submit button
    Flickable {
        id: flick
        anchors.top: parent.top
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: submit.top
        anchors.bottomMargin: ui.gap
        contentHeight: col.implicitHeight
        clip: true
        interactive: contentHeight > height
        boundsBehavior: Flickable.StopAtBounds
    Column {
        id: col
        width: flick.width
        spacing: ui.gap * 0.8
        Bi {
            width: parent.width
            zh: "请评价 " + (vm.rating.number || "") + " 号的服务（" + (vm.rating.service_zh || "") + "）"
            en: "Rate the service for ticket " + (vm.rating.number || "") + " (" + (vm.rating.service_en || "") + ")"
            size: ui.large
            bold: true
        }
        Grid {
            id: levels
            width: parent.width
            columns: root.landscape ? (ui.elder ? 3 : 5) : 1
            spacing: ui.gap * 0.8
            Repeater {
                model: vm.ratingLevels
                delegate: Tile {
                    fit: true
                    required property var modelData
                    width: (levels.width - (levels.columns - 1) * levels.spacing) / levels.columns
                    height: page.levelHeight
                    title: root.en ? modelData.en : modelData.zh
                    titleSize: ui.large * (root.landscape ? 0.85 : 1)
                    selected: vm.rating.level === modelData.level
                    ink: modelData.level <= 2 ? ui.accent : ui.text
                    onTapped: vm.chooseLevel(modelData.level)
                }
            }
        }
        Grid {
            id: reasons
            width: parent.width
            visible: vm.rating.level > 0 && vm.rating.level <= 2
            columns: ui.elder ? 2 : 4
            spacing: ui.gap * 0.8
            Repeater {
                model: vm.ratingReasons
                delegate: Tile {
                    fit: true
                    required property var modelData
                    width: (reasons.width - (reasons.columns - 1) * reasons.spacing) / reasons.columns
                    height: 118 * ui.unit * (ui.elder ? 1.6 : 1)
                    title: root.en ? modelData.en : modelData.zh
                    titleSize: ui.body
                    selected: (vm.rating.reasons || []).indexOf(modelData.id) >= 0
                    onTapped: vm.toggleRatingReason(modelData.id)
                }
            }
        }
    }
    }
    MoreBelow { flick: flick }
    ActionButton {
        id: submit
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        height: (root.landscape ? 120 * ui.unit : ui.target) * (ui.elder ? 1.2 : 1)
        active: vm.rating.level > 0
        text: root.en ? "Submit" : "提交评价"
        onTapped: vm.submitRating()
    }
}
