"""TEST ONLY, run by LibreOffice's own Python (Debian's python3 with python3-uno): conversions over UNO.

helpers/lo_batch.py keeps one LibreOffice running per profile and sends this
process one request per line on stdin, as JSON: {"pipe": NAME, "fmt": FORMAT,
"out": FOLDER, "files": [PATH, ...]}, FORMAT as `soffice --convert-to` takes
it ("pdf", "xlsx", "xls:MS Excel 97"). Each file is loaded hidden by the
LibreOffice listening on pipe NAME (its profile's settings apply, such as
recalculating on load), stored as FOLDER/<stem>.<ext> with the filter
--convert-to would pick, and closed; the answer is one line of JSON,
{"ok": true} or {"ok": false, "error": ...}.
"""

import json
import os
import sys
import time

import uno
from com.sun.star.beans import PropertyValue

# The filter `soffice --convert-to EXT` picks for a spreadsheet or a text document.
FILTERS = {
    ("pdf", "calc"): "calc_pdf_Export", ("pdf", "writer"): "writer_pdf_Export",
    ("xlsx", "calc"): "Calc Office Open XML", ("ods", "calc"): "calc8", ("xls", "calc"): "MS Excel 97",
    ("docx", "writer"): "MS Word 2007 XML", ("odt", "writer"): "writer8",
}
_desktops = {}


def prop(name, value):
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def desktop(pipe):
    """The Desktop of the LibreOffice on `pipe`, waited for while it starts (at most a minute)."""
    if pipe not in _desktops:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + 60
        while True:
            try:
                context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        _desktops[pipe] = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
    return _desktops[pipe]


def convert(pipe, fmt, out, files):
    ext, _, named = fmt.partition(":")
    for path in files:
        doc = desktop(pipe).loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0,
                                                  (prop("Hidden", True),))
        if doc is None:
            raise RuntimeError(f"LibreOffice could not open {path}")
        try:
            kind = "writer" if doc.supportsService("com.sun.star.text.TextDocument") else "calc"
            target = os.path.join(out, os.path.splitext(os.path.basename(path))[0] + "." + ext)
            doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(target)),
                           (prop("FilterName", named or FILTERS[(ext, kind)]),))
        finally:
            doc.close(True)


def main():
    for line in sys.stdin:
        request = json.loads(line)
        try:
            convert(request["pipe"], request["fmt"], request["out"], request["files"])
            answer = {"ok": True}
        except Exception as exc:       # the caller falls back to soffice --convert-to
            answer = {"ok": False, "error": repr(exc)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
