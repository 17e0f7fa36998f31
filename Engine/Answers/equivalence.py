# Symbolic equivalence of two math answers written in LaTeX (MATH-style): numbers, fractions, radicals, pi,
# polynomials, tuples, intervals and unions, sets, matrices/vectors, degrees, \text{} units, equations, bases.
# Runs in the Numina sandbox (a Jupyter-mode session); the engine calls numina_equivalent(a, b) once per pair.
import re
import sympy as sp
from sympy.parsing.sympy_parser import (parse_expr, standard_transformations,
                                        implicit_multiplication_application, convert_xor)

_TRANSFORMS = standard_transformations + (implicit_multiplication_application, convert_xor)
_NAMES = {name: getattr(sp, name) for name in ("sqrt", "pi", "oo", "I", "E", "log", "sin", "cos", "tan", "exp", "Rational")}


def _braced(s, i):
    """The content of the {...} group starting at s[i] == '{', and the index after it."""
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "{":
            depth += 1
        elif s[j] == "}":
            depth -= 1
            if depth == 0:
                return s[i + 1:j], j + 1
    raise ValueError("unbalanced braces")


def _argument(s, i):
    """A macro argument: a {...} group or a single character (\\frac12)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i < len(s) and s[i] == "{":
        return _braced(s, i)
    if i < len(s) and s[i] == "\\":
        m = re.match(r"\\[a-zA-Z]+", s[i:])
        return m.group(0), i + len(m.group(0))
    return s[i], i + 1


def _clean(s):
    s = s.strip().strip("$").strip()
    m = re.fullmatch(r"\\boxed\{(.*)\}", s, re.S)
    if m:
        s = m.group(1)
    s = re.sub(r"(\d),\\!\s*(?=\d{3})", r"\1", s)           # 11,\! 111 is a thousands separator
    s = re.sub(r"(?<!\\)\\ ", "", s)                          # "\ " is a space; "\\ " is a matrix row break
    for junk in ("\\!", "\\,", "\\;", "\\:", "~", "\\left", "\\right", "\\displaystyle"):
        s = s.replace(junk, "")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\dots", "").replace("\\ldots", "")
    s = re.sub(r"\^\s*\{?\s*\\circ\s*\}?", "", s)            # degrees
    s = s.replace("\\%", "").replace("%", "").replace("\\$", "")
    # \text{...}: a unit after something is dropped; a text answer keeps its words.
    def text(m):
        return m.group(1)
    stripped = re.sub(r"\\(?:text|mbox|mathrm|textbf)\{[^{}]*\}(\^\d)?", "", s).strip()
    if stripped and re.search(r"[0-9a-zA-Z\\]", stripped):
        s = stripped
    else:
        s = re.sub(r"\\(?:text|mbox|mathrm|textbf)\{([^{}]*)\}", text, s)
    s = re.sub(r"\s+(?:degrees?|cm|units?|inches|feet|meters?|dollars?)\b.*$", "", s)
    s = s.strip().rstrip(".").strip()
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", s):      # 11,111,100
        s = s.replace(",", "")
    m = re.fullmatch(r"[a-zA-Z]\s*=\s*(.+)", s)             # x = 5
    if m and "=" not in m.group(1):
        s = m.group(1)
    return s


def _to_python(s):
    """LaTeX math to a sympy-parsable string."""
    out, i = [], 0
    while i < len(s):
        if s.startswith("\\frac", i):
            num, i = _argument(s, i + 5)
            den, i = _argument(s, i)
            out.append(f"(({_to_python(num)})/({_to_python(den)}))")
        elif s.startswith("\\sqrt", i):
            i += 5
            root = None
            if i < len(s) and s[i] == "[":
                j = s.index("]", i)
                root, i = s[i + 1:j], j + 1
            arg, i = _argument(s, i)
            out.append(f"(({_to_python(arg)})**(1/({_to_python(root)})))" if root else f"sqrt({_to_python(arg)})")
        elif s[i] == "\\":
            m = re.match(r"\\([a-zA-Z]+)", s[i:])
            name = m.group(1)
            i += len(m.group(0))
            out.append({"pi": "pi", "infty": "oo", "cdot": "*", "times": "*", "div": "/", "ln": "log", "log": "log",
                        "sin": "sin", "cos": "cos", "tan": "tan", "exp": "exp", "e": "E"}.get(name, f" {name} "))
        elif s[i] == "{":
            out.append("(")
            i += 1
        elif s[i] == "}":
            out.append(")")
            i += 1
        else:
            out.append(s[i])
            i += 1
    text = "".join(out)
    text = re.sub(r"(?<![a-zA-Z])i(?![a-zA-Z])", "I", text) if re.search(r"\d\s*i\b|\bi\b", text) else text
    return text


def _expr(s):
    if re.fullmatch(r"[0-9a-zA-Z]+_\{?\d+\}?", s):           # a numeral in base n: compare as written
        return ("base", s.replace("{", "").replace("}", ""))
    if "=" in s:
        left, right = s.split("=", 1)
        return ("equation", sp.expand(_expr_plain(left) - _expr_plain(right)))
    return _expr_plain(s)


def _expr_plain(s):
    return parse_expr(_to_python(s), local_dict=dict(_NAMES), transformations=_TRANSFORMS, evaluate=True)


def _split_top(s, sep=","):
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(s):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(s[start:i])
            start = i + 1
    parts.append(s[start:])
    return [p.strip() for p in parts]


def _structure(s):
    m = re.fullmatch(r"\\begin\{[pbv]?matrix\}(.*)\\end\{[pbv]?matrix\}", s, re.S)
    if m:
        rows = [r for r in m.group(1).split("\\\\") if r.strip()]
        return ("matrix", [[_expr(c.strip()) for c in r.split("&")] for r in rows])
    if "\\cup" in s:
        return ("union", [_structure(p.strip()) for p in s.split("\\cup")])
    if s.startswith("\\{") and s.endswith("\\}"):
        return ("set", sorted((str(_expr(p)) for p in _split_top(s[2:-2])), key=str))
    if len(s) >= 2 and s[0] in "([" and s[-1] in ")]" and len(_split_top(s[1:-1])) > 1:
        return ("tuple", s[0] + s[-1], [_expr(p) for p in _split_top(s[1:-1])])
    parts = _split_top(s)
    if len(parts) > 1:
        return ("list", [_expr(p) for p in parts])
    return ("expr", _expr(s))


def _same(a, b):
    if isinstance(a, tuple) or isinstance(b, tuple):
        if not (isinstance(a, tuple) and isinstance(b, tuple)) or a[0] != b[0]:
            return False
        if a[0] == "base":
            return a[1] == b[1]
        if a[0] == "equation":
            d1, d2 = a[1], b[1]
            if d2 == 0 or d1 == 0:
                return d1 == d2
            ratio = sp.simplify(d1 / d2)
            return ratio.is_number and ratio != 0
        return False
    try:
        diff = sp.simplify(a - b)
        if diff == 0:
            return True
        if diff.is_number:
            return abs(complex(sp.N(diff, 30))) < 1e-9
        return False
    except Exception:
        return str(a) == str(b)


def _same_structure(x, y):
    kind = x[0]
    if kind != y[0]:
        # "3, 5" and "\{3, 5\}" are the same answer; a list compares as a set
        if {kind, y[0]} == {"list", "set"}:
            xs = x[1] if kind == "list" else None
            ys = y[1] if y[0] == "list" else None
            items = xs if xs is not None else ys
            other = y if xs is not None else x
            return sorted(str(i) for i in items) == other[1]
        return False
    if kind == "expr":
        return _same(x[1], y[1])
    if kind == "matrix":
        return len(x[1]) == len(y[1]) and all(len(r) == len(s) and all(_same(a, b) for a, b in zip(r, s)) for r, s in zip(x[1], y[1]))
    if kind == "union":
        return len(x[1]) == len(y[1]) and all(_same_structure(a, b) for a, b in zip(x[1], y[1]))
    if kind == "set":
        return x[1] == y[1]
    if kind == "tuple":
        return x[1] == y[1] and len(x[2]) == len(y[2]) and all(_same(a, b) for a, b in zip(x[2], y[2]))
    if kind == "list":
        if len(x[1]) != len(y[1]):
            return False
        remaining = list(y[1])
        for a in x[1]:
            match = next((k for k, b in enumerate(remaining) if _same(a, b)), None)
            if match is None:
                return False
            remaining.pop(match)
        return True
    return False


def numina_equivalent(a, b):
    """True when the two answers are the same mathematical object; False otherwise (or when either cannot be read)."""
    ca, cb = _clean(a), _clean(b)
    if ca == cb:
        return True
    try:
        return bool(_same_structure(_structure(ca), _structure(cb)))
    except Exception:
        return re.sub(r"\s+", "", ca) == re.sub(r"\s+", "", cb)
