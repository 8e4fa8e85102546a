import QtQuick
import ".."

// The complaint is filed: its tracking code, and whether the receipt printed.
Item {
    Column {
        anchors.centerIn: parent
        width: parent.width
        spacing: ui.gap * 2
        Bi {
            width: parent.width
            zh: "已收到，谢谢您的意见"
            en: "Received — thank you"
            size: ui.large
            bold: true
            ink: ui.good
        }
        Bi {
            width: parent.width
            zh: "查询编号"
            en: "Tracking code"
            size: ui.body
        }
        Text {
            objectName: "complaintCode"
            width: parent.width
            text: vm.complaint.code || ""
            color: ui.accent
            font.pixelSize: ui.huge
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
            fontSizeMode: Text.HorizontalFit
            minimumPixelSize: ui.huge * ui.minFit
            wrapMode: Text.WordWrap
        }
        Bi {
            width: parent.width
            zh: vm.complaint.printed === true ? "回执已打印，请取走" : vm.complaint.printed === false ? "回执打印失败，请拍照保存编号" : "正在打印回执"
            en: vm.complaint.printed === true ? "Receipt printed — please take it" : vm.complaint.printed === false ? "Receipt not printed — please photograph the code" : "Printing receipt"
            size: ui.body
        }
        Text {
            width: parent.width
            text: root.en ? "The hall manager will follow up." : "大厅负责人将跟进处理并回访"
            color: ui.muted
            font.pixelSize: ui.body
            horizontalAlignment: Text.AlignHCenter
        }
    }
}
