import QtQuick
import ".."

// Complaint or suggestion (吐槽找茬): tap a category, maybe some phrases, maybe a phone;
// or scan the QR to write it on one's own phone. Landscape: choices left, the rest right.
Item {
    id: page
    property real leftWidth: root.landscape ? width * 0.64 : width
    property real rightWidth: root.landscape ? width - leftWidth - ui.gap : width
    property real chipHeight: ui.elder ? 210 * ui.unit : (root.landscape ? 118 * ui.unit : ui.target * 0.85)

    // elder mode: the larger chips scroll (the submit button stays in place)
    Flickable {
        id: leftFlick
        anchors.left: parent.left
        anchors.top: parent.top
        anchors.bottom: root.landscape ? parent.bottom : (qrBox.visible ? qrBox.top : right.top)
        anchors.bottomMargin: root.landscape ? 0 : ui.gap
        width: page.leftWidth
        contentHeight: left.implicitHeight
        clip: true
        interactive: contentHeight > height
        boundsBehavior: Flickable.StopAtBounds
    Column {
        id: left
        width: leftFlick.width
        spacing: ui.gap * 0.7
        Bi {
            width: parent.width
            zh: "吐槽找茬 · 请选择类别"
            en: "Complaint or suggestion · choose a category"
            size: ui.large
            bold: true
        }
        Grid {
            id: cats
            width: parent.width
            columns: ui.elder ? 2 : 3
            spacing: ui.gap * 0.7
            Repeater {
                model: vm.complaintCategories
                delegate: Tile {
                    fit: true
                    required property var modelData
                    width: (cats.width - (cats.columns - 1) * cats.spacing) / cats.columns
                    height: page.chipHeight
                    title: root.en ? modelData.en : modelData.zh
                    titleSize: ui.body
                    selected: vm.complaint.category === modelData.id
                    onTapped: vm.chooseCategory(modelData.id)
                }
            }
        }
        Text {
            width: parent.width
            text: root.en ? "Add a few words (optional)" : "补充说明（可选，可多选）"
            color: ui.text
            font.pixelSize: ui.body
            font.bold: true
            wrapMode: Text.WordWrap
        }
        Grid {
            id: phrases
            width: parent.width
            columns: ui.elder ? 2 : 3
            spacing: ui.gap * 0.7
            Repeater {
                model: vm.complaintPhrases
                delegate: Tile {
                    fit: true
                    required property var modelData
                    width: (phrases.width - (phrases.columns - 1) * phrases.spacing) / phrases.columns
                    height: page.chipHeight
                    title: root.en ? modelData.en : modelData.zh
                    titleSize: ui.body * 0.9
                    selected: (vm.complaint.phrases || []).indexOf(modelData.id) >= 0
                    onTapped: vm.togglePhrase(modelData.id)
                }
            }
        }
    }

    }

    MoreBelow { flick: leftFlick }

    Column {
        id: qrBox
        // not in elder landscape: the larger buttons take its room
        visible: vm.complaintUrl !== "" && !(ui.elder && root.landscape)
        // Portrait: between the choices and the buttons.
        anchors.right: parent.right
        anchors.top: root.landscape ? parent.top : undefined
        anchors.bottom: root.landscape ? undefined : right.top
        anchors.bottomMargin: root.landscape ? 0 : ui.gap
        width: root.landscape ? page.rightWidth : page.width
        Image {
            anchors.horizontalCenter: parent.horizontalCenter
            width: (root.landscape ? 200 : 260) * ui.unit
            height: width
            smooth: false
            source: vm.complaintUrl !== "" ? "image://qr/" + encodeURIComponent(vm.complaintUrl) : ""
        }
        Text {
            width: parent.width
            text: root.en ? "Or write it on your phone" : "或扫码用手机填写"
            color: ui.muted
            font.pixelSize: ui.small * 0.8
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
        }
    }

    Column {
        id: right
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        width: page.rightWidth
        spacing: ui.gap * 0.7
        Text {
            width: parent.width
            visible: (vm.complaint.error || "") !== ""
            text: vm.complaint.error || ""
            color: ui.accent
            font.pixelSize: ui.body
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
        }
        Grid {
            id: extras
            width: parent.width
            columns: root.landscape ? 1 : 2
            spacing: ui.gap * 0.7
            Tile {
                fit: true
                width: (extras.width - (extras.columns - 1) * extras.spacing) / extras.columns
                height: ui.elder ? implicitHeight : page.chipHeight
                title: vm.complaint.kind === "suggestion" ? (root.en ? "Type: suggestion" : "类型：建议")
                                                         : (root.en ? "Type: complaint" : "类型：投诉")
                subtitle: root.en ? "Tap to switch" : "点击切换"
                titleSize: ui.body
                onTapped: vm.toggleComplaintKind()
            }
            Tile {
                fit: true
                width: (extras.width - (extras.columns - 1) * extras.spacing) / extras.columns
                height: ui.elder ? implicitHeight : page.chipHeight
                selected: vm.phoneValid && vm.phoneConsent
                title: (vm.phoneValid && vm.phoneConsent) ? vm.phone : (root.en ? "Leave a phone" : "留下手机号")
                subtitle: root.en ? "Optional, for a reply" : "可选，用于回访"
                titleSize: ui.body
                onTapped: vm.complaintPhone()
            }
        }
        ActionButton {
            objectName: "submitComplaint"
            width: parent.width
            height: ui.elder ? implicitHeight : ui.target
            active: (vm.complaint.category || "") !== ""
            text: root.en ? "Submit, print receipt" : "提交并打印回执"
            onTapped: vm.submitComplaint()
        }
    }
}
