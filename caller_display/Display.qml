// The hall calling screen. Sizes derive from the screen, so one file serves 32" to 75".
import QtQuick
import QtQuick.Layouts

Rectangle {
    id: root
    width: 1920
    height: 1080
    color: vm.background

    // One unit = 1% of the short side; the called number is sized from its panel instead.
    readonly property real u: Math.min(width, height) / 100
    readonly property string fontFamily: "WenQuanYi Micro Hei"
    readonly property color panel: Qt.lighter(vm.background, 1.35)
    readonly property color dim: Qt.rgba(root.fg.r, root.fg.g, root.fg.b, 0.72)
    readonly property color fg: vm.foreground
    function has(name) { return vm.elements.indexOf(name) >= 0 }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: root.u * 1.6
        spacing: root.u * 1.4

        // -- header: title, hall name, clock, connection state --------------------------
        GridLayout {
            objectName: "header"
            Layout.fillWidth: true
            // Portrait screens are narrow: the clock goes under the title instead of beside it.
            columns: vm.portrait ? 2 : 3
            columnSpacing: root.u * 2
            rowSpacing: root.u * 0.6
            Text {
                objectName: "title"
                Layout.columnSpan: vm.portrait ? 2 : 1
                text: vm.hallName ? vm.hallName + " · " + vm.title : vm.title
                color: root.fg
                font.family: root.fontFamily
                font.pixelSize: root.u * 4.6
                font.bold: true
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            Text {
                objectName: "clock"
                visible: root.has("clock")
                text: vm.clock
                color: root.dim
                font.family: root.fontFamily
                font.pixelSize: root.u * 3.4
                Layout.fillWidth: vm.portrait
                Layout.column: vm.portrait ? 0 : 2
                Layout.row: vm.portrait ? 1 : 0
            }
            Rectangle {
                objectName: "connectionMark"
                Layout.column: 1
                Layout.row: vm.portrait ? 1 : 0
                visible: root.has("connection") && !vm.connected
                color: "#b3261e"
                radius: root.u
                Layout.preferredHeight: root.u * 4.6
                Layout.preferredWidth: offlineText.implicitWidth + root.u * 3
                Text {
                    id: offlineText
                    anchors.centerIn: parent
                    text: "连接中断 Offline"
                    color: "#ffffff"
                    font.family: root.fontFamily
                    font.pixelSize: root.u * 2.6
                }
            }
        }

        // -- body: the now-calling banner and the window grid ---------------------------
        GridLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            flow: vm.portrait ? GridLayout.TopToBottom : GridLayout.LeftToRight
            rows: vm.portrait ? 2 : 1
            columns: vm.portrait ? 1 : 2
            rowSpacing: root.u * 1.4
            columnSpacing: root.u * 1.4

            Rectangle {
                id: banner
                objectName: "banner"
                visible: root.has("banner")
                Layout.fillWidth: vm.portrait || !root.has("windows")
                Layout.fillHeight: !vm.portrait || !root.has("windows")
                Layout.preferredWidth: vm.portrait ? -1 : root.width * 0.44
                Layout.preferredHeight: vm.portrait ? root.height * 0.3 : -1
                radius: root.u * 1.5
                color: vm.flashOn ? vm.accent : root.panel
                border.color: vm.accent
                border.width: vm.flashing ? root.u * 0.8 : root.u * 0.3

                readonly property color ink: vm.flashOn ? vm.background : root.fg
                readonly property color numberInk: vm.flashOn ? vm.background : vm.accent

                Column {
                    anchors.centerIn: parent
                    width: parent.width * 0.92
                    spacing: banner.height * 0.02
                    visible: vm.bannerNumber !== ""
                    Text {
                        objectName: "bannerLabel"
                        width: parent.width
                        horizontalAlignment: Text.AlignHCenter
                        text: vm.bannerRecall ? "再次呼叫 Calling again" : "正在呼叫 Now calling"
                        color: banner.ink
                        font.family: root.fontFamily
                        font.pixelSize: Math.min(banner.height * 0.08, banner.width * 0.07)
                    }
                    Text {
                        objectName: "bannerNumber"
                        width: parent.width
                        horizontalAlignment: Text.AlignHCenter
                        text: vm.bannerNumber
                        color: banner.numberInk
                        font.family: root.fontFamily
                        font.bold: true
                        font.pixelSize: Math.min(banner.height * 0.36, banner.width * 0.26)
                        fontSizeMode: Text.HorizontalFit
                        minimumPixelSize: 20
                    }
                    Text {
                        objectName: "bannerName"
                        visible: vm.bannerName !== ""
                        width: parent.width
                        horizontalAlignment: Text.AlignHCenter
                        text: vm.bannerName
                        color: banner.ink
                        font.family: root.fontFamily
                        font.pixelSize: Math.min(banner.height * 0.08, banner.width * 0.07)
                    }
                    Text {
                        objectName: "bannerWindow"
                        width: parent.width
                        horizontalAlignment: Text.AlignHCenter
                        text: "请到 " + vm.bannerWindow + " 号窗口"
                        color: banner.ink
                        font.family: root.fontFamily
                        font.bold: true
                        font.pixelSize: Math.min(banner.height * 0.15, banner.width * 0.1)
                        fontSizeMode: Text.HorizontalFit
                        minimumPixelSize: 16
                    }
                    Text {
                        width: parent.width
                        horizontalAlignment: Text.AlignHCenter
                        text: "Please go to window " + vm.bannerWindow
                        color: banner.ink
                        font.family: root.fontFamily
                        font.pixelSize: Math.min(banner.height * 0.065, banner.width * 0.05)
                    }
                }
                Text {
                    anchors.centerIn: parent
                    visible: vm.bannerNumber === ""
                    horizontalAlignment: Text.AlignHCenter
                    text: "请留意叫号\nPlease wait for your number"
                    color: root.dim
                    font.family: root.fontFamily
                    font.pixelSize: Math.min(banner.height * 0.09, banner.width * 0.06)
                }
            }

            Item {
                id: gridArea
                objectName: "windowsGrid"
                visible: root.has("windows")
                Layout.fillWidth: true
                Layout.fillHeight: true
                readonly property int count: Math.max(1, vm.windowCount)
                readonly property int cols: {
                    // The column count that gives the tallest tiles with at most 2:1 aspect.
                    var best = 1, bestScore = 0;
                    for (var c = 1; c <= count; c++) {
                        var r = Math.ceil(count / c);
                        var w = width / c, h = height / r;
                        var score = Math.min(h, w / 1.6);
                        if (score > bestScore) { bestScore = score; best = c; }
                    }
                    return best;
                }
                readonly property int rowsN: Math.ceil(count / cols)
                readonly property real gap: root.u * 1.0
                readonly property real tileW: (width - gap * (cols - 1)) / cols
                readonly property real tileH: Math.min((height - gap * (rowsN - 1)) / rowsN, tileW * 0.9)

                Grid {
                    columns: gridArea.cols
                    spacing: gridArea.gap
                    Repeater {
                        model: vm.windowsModel
                        delegate: Rectangle {
                            objectName: "windowTile"
                            required property string number
                            required property string current
                            required property string windowState
                            property string windowNumber: number
                            property string currentNumber: current
                            width: gridArea.tileW
                            height: gridArea.tileH
                            radius: root.u
                            color: root.panel
                            opacity: windowState === "open" ? 1.0 : 0.55
                            border.width: current !== "" && number === vm.bannerWindow && vm.flashing ? root.u * 0.5 : 0
                            border.color: vm.accent
                            Text {
                                anchors.top: parent.top
                                anchors.topMargin: parent.height * 0.06
                                anchors.horizontalCenter: parent.horizontalCenter
                                width: parent.width * 0.92
                                horizontalAlignment: Text.AlignHCenter
                                text: parent.number + " 号窗口" + (parent.windowState === "open" ? "" : (parent.windowState === "paused" ? " · 暂停" : " · 关闭"))
                                color: root.dim
                                font.family: root.fontFamily
                                font.pixelSize: Math.min(parent.height * 0.2, parent.width * 0.14)
                                fontSizeMode: Text.HorizontalFit
                                minimumPixelSize: 10
                            }
                            Text {
                                objectName: "tileNumber"
                                anchors.bottom: parent.bottom
                                anchors.bottomMargin: parent.height * 0.08
                                anchors.horizontalCenter: parent.horizontalCenter
                                width: parent.width * 0.92
                                horizontalAlignment: Text.AlignHCenter
                                text: parent.current !== "" ? parent.current : "—"
                                color: parent.current !== "" ? vm.accent : root.dim
                                font.family: root.fontFamily
                                font.bold: true
                                font.pixelSize: Math.min(parent.height * 0.48, parent.width * 0.3)
                                fontSizeMode: Text.HorizontalFit
                                minimumPixelSize: 10
                            }
                        }
                    }
                }
            }
        }

        // -- recent calls ----------------------------------------------------------------
        Rectangle {
            objectName: "recent"
            visible: root.has("recent")
            Layout.fillWidth: true
            Layout.preferredHeight: vm.portrait ? root.u * 22 : root.u * 11
            color: "transparent"
            RowLayout {
                anchors.fill: parent
                spacing: root.u * 1.2
                Text {
                    text: "最近呼叫\nRecent"
                    color: root.dim
                    font.family: root.fontFamily
                    font.pixelSize: root.u * 2.6
                    Layout.preferredWidth: root.u * 12
                }
                Grid {
                    id: recentGrid
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    columns: vm.portrait ? 4 : 8
                    spacing: root.u * 0.8
                    readonly property real cellW: (width - spacing * (columns - 1)) / columns
                    readonly property real cellH: vm.portrait ? (height - spacing) / 2 : height
                    Repeater {
                        model: vm.recentModel
                        delegate: Rectangle {
                            id: recentItem
                            objectName: "recentItem"
                            required property int index
                            required property string number
                            required property string window
                            required property bool recall
                            property string ticketNumber: number
                            width: recentGrid.cellW
                            height: recentGrid.cellH
                            radius: root.u * 0.8
                            color: root.panel
                            Column {
                                anchors.centerIn: parent
                                Text {
                                    anchors.horizontalCenter: parent.horizontalCenter
                                    text: recentItem.number
                                    color: recentItem.index === 0 ? vm.accent : root.fg
                                    font.family: root.fontFamily
                                    font.bold: true
                                    font.pixelSize: Math.min(recentGrid.cellH * 0.42, recentGrid.cellW * 0.26)
                                }
                                Text {
                                    anchors.horizontalCenter: parent.horizontalCenter
                                    text: (recentItem.recall ? "再呼 " : "") + recentItem.window + " 号窗口"
                                    color: root.dim
                                    font.family: root.fontFamily
                                    font.pixelSize: Math.min(recentGrid.cellH * 0.24, recentGrid.cellW * 0.13)
                                }
                            }
                        }
                    }
                }
            }
        }

        // -- waiting counts per service ---------------------------------------------------
        Flow {
            objectName: "waiting"
            visible: root.has("waiting") && vm.waiting.length > 0
            Layout.fillWidth: true
            // One line at most: a long list must never squeeze the called number.
            Layout.maximumHeight: root.u * 4.6
            clip: true
            spacing: root.u * 2.4
            Text {
                text: "等候人数 Waiting:"
                color: root.dim
                font.family: root.fontFamily
                font.pixelSize: root.u * 3
            }
            Repeater {
                model: vm.waiting
                delegate: Text {
                    text: modelData.name + " <b>" + modelData.waiting + "</b> 人"
                    textFormat: Text.StyledText
                    color: root.fg
                    font.family: root.fontFamily
                    font.pixelSize: root.u * 3
                }
            }
        }

        // -- scrolling notice line --------------------------------------------------------
        Rectangle {
            objectName: "notice"
            visible: root.has("notice") && vm.notice !== ""
            Layout.fillWidth: true
            Layout.preferredHeight: root.u * 6
            color: root.panel
            radius: root.u * 0.8
            clip: true
            Text {
                id: noticeText
                objectName: "noticeText"
                anchors.verticalCenter: parent.verticalCenter
                text: vm.notice
                color: root.fg
                font.family: root.fontFamily
                font.pixelSize: root.u * 3.2
                readonly property bool scrolls: implicitWidth > parent.width - root.u * 4
                x: root.u * 2
                // Start readable at the left edge, hold, scroll out, and begin again: a
                // screenshot or a passer-by always catches the start of the notice.
                SequentialAnimation on x {
                    running: noticeText.scrolls
                    loops: Animation.Infinite
                    PropertyAction { value: root.u * 2 }
                    PauseAnimation { duration: 2500 }
                    NumberAnimation {
                        from: root.u * 2
                        to: -noticeText.implicitWidth
                        // ~ 12 % of the screen width per second: readable while walking past
                        duration: Math.max(4000, (noticeText.implicitWidth + root.u * 2) / (root.width * 0.12) * 1000)
                    }
                }
            }
        }
    }
}
