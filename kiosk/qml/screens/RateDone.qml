import QtQuick
import ".."

// Thanks after a rating.
Item {
    Bi {
        anchors.centerIn: parent
        width: parent.width
        zh: "感谢您的评价"
        en: "Thank you for your rating"
        size: ui.huge
        bold: true
        ink: ui.good
    }
}
