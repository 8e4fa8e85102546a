import QtQuick

// The kiosk window: header, staff banner, the current screen, and a footer to go back.
Rectangle {
    id: root
    width: 1080
    height: 1920
    color: ui.background

    property bool en: vm.lang === "en"
    // A tap that lands within this long after the screen changed belongs to the old screen
    // (a double tap, a habit of people used to mice): it must not act on the new one.
    property string shownScreen: ""
    property double shownAt: 0
    function tapAllowed() { return Date.now() - shownAt > 350 }
    Connections {
        target: vm
        // stateChanged fires for every change (a digit typed, a toggle); only a new screen
        // restarts the guard.
        function onStateChanged() {
            if (vm.screen !== root.shownScreen) {
                root.shownScreen = vm.screen
                root.shownAt = Date.now()
            }
        }
    }
    property bool landscape: width > height
    property var screenFiles: ({
        "home": "Home", "domain": "Domain", "confirm": "Confirm", "green": "Green",
        "phone": "Phone", "printing": "Busy", "ticket": "TicketDone",
        "printer_failed": "PrinterFailed", "unreachable": "Unreachable",
        "checkin": "Checkin", "message": "Message", "help": "Help",
        "complaint": "Complaint", "complaint_done": "ComplaintDone", "rate": "Rate",
        "rate_done": "RateDone", "pin": "Pin", "manager": "Manager"
    })
    // elder mode: the phone screen's larger keypad takes the footer's room ("Skip" and
    // "OK" lead on from there)
    property bool showFooter: ["home", "printing", "unreachable", "manager", "pin"]
                                  .indexOf(vm.screen) < 0
                              && !(ui.elder && vm.screen === "phone")

    Theme {
        id: ui
        // the staff screens (PIN, manager) are never in elder mode
        elder: vm.elder && ["pin", "manager"].indexOf(vm.screen) < 0
        unit: Math.min(root.width, root.height) / 1080
    }

    Rectangle {
        id: header
        anchors.top: parent.top
        anchors.left: parent.left
        anchors.right: parent.right
        // Elder mode: larger type needs a taller header (the hall name may take two lines).
        height: ui.elder ? Math.max((root.landscape ? 130 : 170) * ui.unit,
                                    Math.max(headerText.implicitHeight, toggles.implicitHeight) + ui.gap)
                         : (root.landscape ? 130 : 170) * ui.unit
        color: ui.elder ? "#000000" : ui.primary
        border.color: ui.elder ? "#ffffff" : "transparent"
        border.width: ui.elder ? 2 : 0

        Column {
            id: headerText
            anchors.left: parent.left
            anchors.leftMargin: ui.gap * 1.5
            anchors.right: toggles.left
            anchors.rightMargin: ui.gap
            anchors.verticalCenter: parent.verticalCenter
            Text {
                // standard: one line, shrunk to fit
                width: parent.width
                visible: !ui.elder
                text: root.en ? vm.hallNameEn : vm.hallName
                color: "#ffffff"
                font.pixelSize: 52 * ui.unit
                font.bold: true
                // a long name: two lines, shrunk to fit the header
                fontSizeMode: Text.Fit
                wrapMode: Text.WordWrap
                maximumLineCount: 2
                minimumPixelSize: 20
                verticalAlignment: Text.AlignVCenter
                height: 62 * ui.unit
            }
            Text {
                // elder: full size, wrapped at words
                width: parent.width
                visible: ui.elder
                text: root.en ? vm.hallNameEn : vm.hallName
                color: "#ffffff"
                font.pixelSize: 52 * ui.unit * ui.scale
                font.bold: true
                wrapMode: Text.WordWrap
            }
            Text {
                id: clock
                // elder mode: the larger hall name takes the room (the clock is on the display)
                visible: !ui.elder
                text: Qt.formatDateTime(new Date(), "yyyy-MM-dd  HH:mm")
                color: ui.elder ? "#ffff66" : "#dbe7f7"
                font.pixelSize: 32 * ui.unit * ui.scale
                Timer {
                    interval: 10000; running: true; repeat: true
                    onTriggered: clock.text = Qt.formatDateTime(new Date(), "yyyy-MM-dd  HH:mm")
                }
            }
        }
        Grid {
            id: toggles
            anchors.right: parent.right
            anchors.rightMargin: ui.gap
            anchors.verticalCenter: parent.verticalCenter
            // elder portrait: the two larger buttons stacked, leaving room for the hall name
            columns: ui.elder && !root.landscape ? 1 : 2
            spacing: ui.gap * (ui.elder && !root.landscape ? 0.5 : 1)
            Tile {
                fit: true
                width: 220 * ui.unit * ui.scale
                height: 115 * ui.unit * (ui.elder ? 1.15 : 1)
                title: root.en ? "中文" : "English"
                titleSize: 40 * ui.unit * ui.scale
                onTapped: vm.toggleLanguage()
            }
            Tile {
                fit: true
                width: 250 * ui.unit * ui.scale
                height: 115 * ui.unit * (ui.elder ? 1.15 : 1)
                title: root.en ? (vm.elder ? "Standard" : "Large text") : (vm.elder ? "标准模式" : "适老模式")
                titleSize: 40 * ui.unit * ui.scale
                selected: vm.elder
                onTapped: vm.toggleElder()
            }
        }
        // Hidden manager gesture: five quick taps on the top-left corner.
        MouseArea {
            objectName: "cornerArea"
            anchors.left: parent.left
            anchors.top: parent.top
            width: 140 * ui.unit
            height: 140 * ui.unit
            onClicked: vm.cornerTap()
            onDoubleClicked: vm.cornerTap()
        }
    }

    Rectangle {
        id: banner
        objectName: "staffBanner"
        anchors.top: header.bottom
        anchors.left: parent.left
        anchors.right: parent.right
        height: visible ? bannerText.implicitHeight + ui.gap : 0
        visible: vm.banner.zh !== undefined && vm.banner.zh !== ""
        color: ui.warn
        Text {
            id: bannerText
            anchors.centerIn: parent
            width: parent.width - 2 * ui.gap
            text: (vm.banner.zh || "") + "  ·  " + (vm.banner.en || "")
            color: "#ffffff"
            font.pixelSize: ui.small
            font.bold: true
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
        }
    }

    Loader {
        id: screenLoader
        objectName: "screenLoader"
        anchors.top: banner.bottom
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: footer.top
        // elder landscape: every pixel of height counts
        anchors.margins: ui.gap * (ui.elder && root.landscape ? 0.75 : 1.5)
        source: "screens/" + (root.screenFiles[vm.screen] || "Home") + ".qml"
    }

    Row {
        id: footer
        anchors.bottom: parent.bottom
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.margins: root.showFooter ? ui.gap * (ui.elder && root.landscape ? 0.75 : 1.5) : 0
        height: root.showFooter ? (root.landscape ? 120 * ui.unit : ui.target) * (ui.elder ? 1.3 : 1) : 0
        visible: root.showFooter
        spacing: ui.gap
        property real cell: (width - 2 * spacing) / 3
        Tile {
            fit: true
            width: footer.cell; height: footer.height
            titleSize: ui.body * 1.2
            title: root.en ? "‹ Back" : "‹ 返回"
            onTapped: vm.back()
        }
        Tile {
            fit: true
            width: footer.cell; height: footer.height
            titleSize: ui.body * 1.2
            title: root.en ? "Home" : "首页"
            onTapped: vm.goHome()
        }
        Tile {
            fit: true
            width: footer.cell; height: footer.height
            titleSize: ui.body * 1.2
            title: root.en ? "Call staff" : "呼叫帮办"
            fill: ui.elder ? "#000000" : "#fff4e5"
            onTapped: vm.requestHelp()
        }
    }
}
