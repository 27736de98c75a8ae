#!/usr/bin/python3
"""Reads the kiosk window the way a screen reader does: over AT-SPI, from outside the process.

    atspi_probe.py texts APP          prints the name of every node in APP's tree, one a line
    atspi_probe.py press APP LABEL    runs the default action of the first node named LABEL

APP is the application's name on the accessibility bus. Reading does not touch the app's
input: the tree is served by AccessKit's adapter thread, so polling it never counts as activity
and never wakes the window. Exit codes: 0 done, 1 the app or the label was not found, 2 usage.
Needs Debian's python3-pyatspi and a running AT-SPI bus (tests/smoke_xvfb.rs starts one).
"""

import sys

import pyatspi


def find_app(name):
    desktop = pyatspi.Registry.getDesktop(0)
    for index in range(desktop.childCount):
        app = desktop.getChildAtIndex(index)
        if app is not None and app.name == name:
            return app
    return None


def walk(node, depth=0):
    if node is None or depth > 60:
        return
    yield node
    for index in range(node.childCount):
        yield from walk(node.getChildAtIndex(index), depth + 1)


def text_of(node):
    """A node's name, else its text content (egui labels carry their text as a value)."""
    if node.name:
        return node.name
    try:
        text = node.queryText()
        return text.getText(0, text.characterCount)
    except NotImplementedError:
        return ""


def main(argv):
    if len(argv) < 3 or argv[1] not in ("texts", "press"):
        print(__doc__, file=sys.stderr)
        return 2
    app = find_app(argv[2])
    if app is None:
        return 1
    if argv[1] == "texts":
        for node in walk(app):
            text = text_of(node)
            if text:
                print(text)
        return 0
    label = argv[3] if len(argv) > 3 else ""
    for node in walk(app):
        if text_of(node) != label:
            continue
        try:
            action = node.queryAction()
        except NotImplementedError:
            continue
        if action.nActions > 0:
            action.doAction(0)
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
