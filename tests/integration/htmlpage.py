"""A small reader of the HTML pages the module sends, for assertions: the
values a browser would show in the form controls, the text of elements by
id or class, the links of the error summary.  Standard library only."""
import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


class Element:
    def __init__(self, tag, attrs):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parts = []
        self.links = []          # (href, text) of the <a> inside

    @property
    def text(self):
        return re.sub(r"\s+", " ", "".join(self.parts)).strip()

    def has_class(self, cls):
        return cls in (self.attrs.get("class") or "").split()


class Page(HTMLParser):
    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.source = text
        self.elements = []
        self.inputs = []         # attribute dicts of every <input>
        self.options = []        # (select name, option attrs)
        self._open = []
        self._select = None
        self.feed(text)
        self.close()

    # --- parsing ---------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        el = Element(tag, attrs)
        self.elements.append(el)
        if tag == "input":
            self.inputs.append(el.attrs)
        elif tag == "select":
            self._select = el.attrs.get("name")
        elif tag == "option":
            self.options.append((self._select, el.attrs))
        if tag not in VOID:
            self._open.append(el)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self._open and self._open[-1].tag == tag:
            self._open.pop()

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                el = self._open[i]
                del self._open[i:]
                if tag == "a":
                    for outer in self._open:
                        outer.links.append((el.attrs.get("href"), el.text))
                return

    def handle_data(self, data):
        for el in self._open:
            el.parts.append(data)

    # --- queries -----------------------------------------------------------
    def by_id(self, ident):
        for el in self.elements:
            if el.attrs.get("id") == ident:
                return el
        return None

    def by_class(self, cls):
        return [el for el in self.elements if el.has_class(cls)]

    def by_tag(self, tag):
        return [el for el in self.elements if el.tag == tag]

    def field_inputs(self, name):
        return [a for a in self.inputs if a.get("name") == name]

    def value(self, name):
        """The value attribute of the (first) text-like input called name;
        None when the input has no value attribute."""
        for a in self.field_inputs(name):
            if a.get("type", "text") not in ("radio", "checkbox"):
                return a.get("value")
        raise AssertionError("no input named %r" % name)

    def checked(self, name):
        """Values of the checked radios / checkboxes called name."""
        return [a.get("value") for a in self.field_inputs(name) if "checked" in a]

    def selected(self, name):
        """Values of the selected options of the select called name."""
        return [o.get("value") for sel, o in self.options if sel == name and "selected" in o]

    def select_values(self, name):
        return [o.get("value") for sel, o in self.options if sel == name]

    def error_links(self):
        """(href, text) of every link in the error summary(ies)."""
        out = []
        for box in self.by_class("error-summary"):
            out.extend(box.links)
        return out

    @property
    def text(self):
        body = self.by_tag("body")
        return body[0].text if body else re.sub(r"\s+", " ", self.source)


def page_of(response):
    return Page(response.text)


def is_japanese(text):
    return bool(JAPANESE.search(text or ""))
