# Are two math answers the same? grade(gold, pred) -> (equivalent, reason), for MATH-style LaTeX answers that are
# already extracted: numbers (thousands separators, decimal commas, mixed numbers, percent, units), expressions,
# equations up to rearrangement and a non-zero factor, relations and inequalities, intervals and unions (order-free,
# with infinity), sets, tuples, matrices, "x \in S", \pm, text answers, bases.
# Runs in the Numina sandbox (a Jupyter-mode session); the engine sends one pair per cell, under a timeout.
#
# The rule, where unsure: "not equal", with the reason. A word or macro we do not know is never read as a product of
# letters; it is compared as text.
# Numbers: exact when both are exact; when either is written as a decimal, both are rounded before comparing, to
# `precision` decimal places (6, Math-Verify's default) or to as many as a decimal was written with, if more.
import re
import sympy as sp
from sympy.parsing.sympy_parser import (parse_expr, standard_transformations,
                                        implicit_multiplication_application, convert_xor)

_TRANSFORMS = standard_transformations + (implicit_multiplication_application, convert_xor)
_FUNCTIONS = {"sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
              "ln", "log", "exp", "sqrt"}
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
          "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega",
          "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega"}
# What parse_expr may call: nothing else (no sympy's E/N/S/O/Q, no builtins); other names become symbols.
_GLOBALS = {"__builtins__": {}, "Integer": sp.Integer, "Float": sp.Float, "Rational": sp.Rational, "Symbol": sp.Symbol,
            "sqrt": sp.sqrt, "pi": sp.pi, "oo": sp.oo, "I": sp.I, "E": sp.E, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
            "sec": sp.sec, "csc": sp.csc, "cot": sp.cot, "asin": sp.asin, "acos": sp.acos, "atan": sp.atan,
            "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "log": sp.log, "exp": sp.exp, "Abs": sp.Abs,
            "binomial": sp.binomial, "factorial": sp.factorial}
_UNITS = (r"cm|mm|km|m|meters?|metres?|inches|inch|in|feet|foot|ft|miles?|mi|yards?|units?|sq|square|cubic|degrees?|"
          r"dollars?|cents?|yuan|euros?|hours?|hrs?|minutes?|mins?|seconds?|sec|s|days?|weeks?|years?|kg|g|grams?|"
          r"liters?|litres?|l|ml|points?|ways|people|students|mph|km/h")


class Unsure(Exception):
    """The answer cannot be read with confidence; the pair is compared as text instead."""


# ---------------------------------------------------------------- cleaning: the same answer, written one way

def _group(s, i, open_="{", close="}"):
    """The content of the group starting at s[i] == open_, and the index after it."""
    depth = 0
    for j in range(i, len(s)):
        if s[j] == open_:
            depth += 1
        elif s[j] == close:
            depth -= 1
            if depth == 0:
                return s[i + 1:j], j + 1
    raise Unsure("unbalanced braces" if open_ == "{" else "unbalanced parentheses")


def _unwrap_macro(s, names):
    """Replace \\name{X} by X for the given macros (\\boxed, \\fbox, ...), innermost groups kept intact."""
    pattern = re.compile(r"\\(?:%s)\s*(?=\{)" % "|".join(names))
    while True:
        m = pattern.search(s)
        if not m:
            return s
        inner, end = _group(s, m.end())
        s = s[:m.start()] + inner + s[end:]


def _replace_text(s):
    """\\text{...} and friends: dropped when something else remains (a unit), else the words are the answer."""
    s = re.sub(r"\\(?:mathrm|operatorname|textrm|mathit)\{\s*([A-Za-z])\s*\}", r"\1", s)   # \mathrm{e}
    texts = r"\\(?:text|textbf|textnormal|mbox|mathrm|textrm|textit|mathbf)\s*\{([^{}]*)\}"
    rest = re.sub(texts + r"(\^\d)?", " ", s).strip()
    if rest and re.search(r"[0-9A-Za-z\\]", rest):
        return rest, False
    words = re.sub(texts, r"\1", s).strip()
    return words, bool(re.search(texts, s))


def clean(s):
    """One spelling of an answer: delimiters, boxes, spacing, units, percent and separators removed."""
    s = str(s).strip()
    s = s.replace("\\$", " ").replace("$", " ")
    s = re.sub(r"\\\(|\\\)|(?<!\\)\\\[|\\\]", " ", s)
    s = re.sub(r"\\\\(?=(?:left|right|frac|dfrac|tfrac|sqrt|pi|cdot|infty|boxed|text)(?![a-zA-Z]))", r"\\", s)  # \\frac: escaped twice
    s = _unwrap_macro(s, ["boxed", "fbox"])
    s = re.sub(r"(\d)\{,\}(?=\d{3})", r"\1", s)                        # 14{,}916
    s = re.sub(r"(\d),\\!\s*(?=\d{3})", r"\1", s)                   # 11,\! 111 is a thousands separator
    s = s.replace("\\!", "")
    s = re.sub(r"\\[,;:>]|(?<!\\)\\ |~|\\q?quad\b", " ", s)
    s = re.sub(r"\\(?:left|right|big|Big|bigg|Bigg|displaystyle)(?![a-zA-Z])", "", s)
    s = re.sub(r"\\[dtc]frac(?![a-zA-Z])", r"\\frac", s)
    s = re.sub(r"\^\s*\{?\s*\\circ\s*\}?|°|\\degree\b", "", s)    # degrees
    s = re.sub(r"\\%|%|\s*\b(?:percentage|percent|pct)\b", "", s)
    s = re.sub(r"\\(?:lt)(?![a-zA-Z])", "<", s)
    s = re.sub(r"\\(?:gt)(?![a-zA-Z])", ">", s)
    s = re.sub(r"\\(?:leq?|leqslant)(?![a-zA-Z])|≤|=<", "<=", s)
    s = re.sub(r"\\(?:geq?|geqslant)(?![a-zA-Z])|≥|=>", ">=", s)
    s = re.sub(r"\\(?:neq?)(?![a-zA-Z])|≠", "!=", s)
    s = re.sub(r"\\text\s*\{\s*(?:and|or)\s*\}|\s+\b(?:and|or)\b\s+|(?<=[\d)}])(?:and|or)(?=[\w(\\])", ",", s)
    s, is_text = _replace_text(s)
    s = re.sub(r"(?<=[\d}])\s*(?:\^?\s*\{?\s*(?:%s)\s*\}?)(?:\^\s*\{?[23]\}?|²|³)?\s*$" % _UNITS, "", s)
    s = re.sub(r"(?<=\d)\s*(?:m²|m2|€|£|¥)\s*$", "", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = s.strip(" ;,").rstrip(".").strip()
    if re.fullmatch(r"-?0,\d+", s):                                 # 0,111: a decimal comma
        s = s.replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", s):           # 7,425,000
        s = s.replace(",", "")
    elif re.fullmatch(r"-?\d{1,3}( \d{3})+(\.\d+)?", s):           # 1 000
        s = s.replace(" ", "")
    elif re.fullmatch(r"-?\d+,\d{2}|-?\d+,\d{4,}", s):             # a decimal comma: 1000,99 (6,8 is a list)
        s = s.replace(",", ".")
    return ("TEXT:" + s) if is_text else s


# ---------------------------------------------------------------- reading: what kind of object an answer is

_RELATION = re.compile(r"<=|>=|!=|=|<|>|\\approx")


def _split_at(s, separator):
    """Split where separator(s, i) matches outside (), [] and {}: (parts, the separators matched)."""
    parts, found, depth, start, i = [], [], 0, 0, 0
    while i < len(s):
        ch = s[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            sep = separator(s, i)
            if sep:
                parts.append(s[start:i].strip())
                found.append(sep)
                i = start = i + len(sep)
                continue
        i += 1
    parts.append(s[start:].strip())
    return parts, found


def _split_top(s, seps):
    """Split on any of seps (",", ";", "\\cup", ...) at the top level."""
    return _split_at(s, lambda t, i: next((sep for sep in seps if t.startswith(sep, i)), None))[0]


def _split_relation(s):
    """'a <= b < c' -> (['a', 'b', 'c'], ['<=', '<']) at the top level."""
    return _split_at(s, lambda t, i: (m.group(0) if (m := _RELATION.match(t, i)) else None))


def _wrapped(s, open_, close):
    """True when s is one group open_ ... close (the first bracket closes at the very end)."""
    if not (s.startswith(open_) and s.endswith(close)):
        return False
    depth = 0
    for i, ch in enumerate(s):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0 and i < len(s) - 1:
                return False
    return depth == 0


def is_name(s):
    """A left-hand side that names the answer: x, a_{37}, f(x), |AB|, \\frac{NO}{BO}, (p,q), S_{MBCN}:S."""
    t = re.sub(r"_\{[^{}]*\}|_\w", "", s)
    t = re.sub(r"\\(?:frac|left|right|mathrm|text|operatorname)(?![a-zA-Z])", "", t)
    if re.search(r"[0-9+\-*/^=<>!.]", t):
        return False
    t = re.sub(r"\\([a-zA-Z]+)", lambda m: "g" if m.group(1) in _GREEK else "#", t)
    t = re.sub(r"[\s|:(),{}]", "", t)
    return bool(t) and t.isalpha()


def read(s):
    """An answer as a node: ('text', s), ('num', expr), ('eq', parts), ('rel', parts, ops), ('tuple', items, o, c),
    ('list', items), ('set', items), ('union', intervals), ('matrix', rows), ('ratio', items), ('base', s)."""
    if s.startswith("TEXT:"):
        return _text_node(s[5:])
    m = re.fullmatch(r"(\d[0-9A-Za-z]*)_\{?(\d+)\}?", s)
    if m:
        return ("base", m.group(1).upper() + "_" + m.group(2))
    m = re.fullmatch(r"(.*?)\\in(?![a-zA-Z])\s*(.+)", s)
    if m and "=" not in m.group(1):
        return read(m.group(2))
    if re.fullmatch(r"\(?[A-Za-z]\)?", s):
        return _text_node(s)                    # a choice: (E)
    groups = _split_top(s, [";"])
    if len(groups) > 1:
        items = []
        for g in groups:
            parts = _split_top(g, [","])
            items.append(("tuple", [_unassign(read_item(p)) for p in parts], "(", ")") if len(parts) > 1 else read_item(g))
        return ("list", _flat_pm(items))
    parts = [p for p in _split_top(s, [","]) if p]
    if len(parts) > 1:
        return ("list", _flat_pm([read_item(p) for p in parts]))
    if not parts:
        raise Unsure("empty answer")
    return read_item(parts[0])


def _text_node(s):
    t = s.strip()
    if re.fullmatch(r"\(?[A-Za-z]\)?", t):
        return ("text", t.strip("()"))
    return ("text", re.sub(r"\s+", " ", t).lower())


def _flat_pm(items):
    out = []
    for it in items:
        out.extend(it[1] if it[0] == "pm" else [it])
    return out


def _unassign(node):
    return _value(node) if node[0] == "eq" and is_name(node[1][0]) else node


def _value(eq):
    return read(eq[1][-1])


def read_item(s):
    s = s.strip()
    if not s:
        raise Unsure("empty part")
    if s.startswith("TEXT:"):
        return _text_node(s[5:])
    m = re.fullmatch(r"[(\[]?\s*\\begin\{(p|b|B|)matrix\}(.*)\\end\{\1matrix\}\s*[)\]]?", s, re.S) or \
        re.fullmatch(r"[(\[]?\s*\\begin\{array\}\{[^{}]*\}(.*)\\end\{array\}\s*[)\]]?", s, re.S)
    if m:
        body = m.group(m.lastindex)
        rows = [r for r in re.split(r"\\\\", body) if r.strip()]
        return ("matrix", [[read_item(c) for c in r.split("&")] for r in rows])
    parts, ops = _split_relation(s)
    if ops:
        return _relation(parts, ops)
    if "\\begin" in s:
        raise Unsure("an environment other than a matrix")
    if re.fullmatch(r"[A-Za-z]", s):
        return ("num", sp.Symbol(s))
    if "\\cup" in s:
        return ("union", [_interval(p) for p in _split_top(s, ["\\cup"])])
    if _wrapped(s, "\\{", "\\}"):
        return ("set", _flat_pm([read_item(p) for p in _split_top(s[2:-2], [",", ";"]) if p]))
    if s[0] in "([" and s[-1] in ")]" and _balanced(s[1:-1]):
        inner = s[1:-1].strip()
        items = _split_top(inner, [",", ";"])
        if len(items) > 1:
            return ("tuple", [read_item(p) for p in items], s[0], s[-1])
        if s[0] == "(" and s[-1] == ")":
            return read_item(inner)
    if _wrapped(s, "{", "}"):
        items = [p for p in _split_top(s[1:-1], [","]) if p]
        return ("list", _flat_pm([read_item(p) for p in items])) if len(items) > 1 else read_item(s[1:-1])
    ratio = _split_top(s, [":"])
    if len(ratio) > 1:
        return ("ratio", [read_item(p) for p in ratio])
    if "\\pm" in s or "\\mp" in s:
        if len(re.findall(r"\\[pm]{2}", s)) > 1:
            raise Unsure("more than one \\pm")
        plus, minus = s.replace("\\pm", "+").replace("\\mp", "-"), s.replace("\\pm", "-").replace("\\mp", "+")
        return ("pm", [("num", expr(plus)), ("num", expr(minus))], "\\mp" in s)
    return ("num", expr(s))


def _balanced(s):
    depth = 0
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _relation(parts, ops):
    if "\\approx" in ops:                       # x = 1/3 \approx 0.33: the exact value before the approximation
        k = ops.index("\\approx")
        if k >= 1 or len(parts) == 2:
            keep = parts[:k + 1] if k >= 1 else parts
            parts, ops = keep, ["="] * (len(keep) - 1)
        else:
            raise Unsure("an approximation")
    if any(not p for p in parts):
        raise Unsure("a relation with an empty side")
    if all(op == "=" for op in ops):
        return ("eq", parts)
    if "=" in ops:
        raise Unsure("a chain mixing = and inequalities")
    return ("rel", parts, ops)


def _interval(s):
    node = read_item(s)
    if node[0] == "tuple" and len(node[1]) == 2:
        return node
    if node[0] == "set":
        return node
    raise Unsure("a union of something other than intervals and sets")


def _identifiers_ok(text):
    """Multi-letter words that are not functions, constants or Greek letters are not algebra."""
    bare = re.sub(r"_\{[^{}]*\}|_\w", "", text)
    bare = re.sub(r"\\[a-zA-Z]+", " ", bare)
    for word in re.findall(r"[A-Za-z]{3,}", bare):
        if word not in _FUNCTIONS and word not in ("pi", "sqrt"):
            raise Unsure(f"the word '{word}'")


def expr(s):
    """LaTeX arithmetic and algebra to a sympy expression."""
    _identifiers_ok(s)
    s = re.sub(r"(?<![\d.])(\d+)\s*\\frac\{(\d+)\}\{(\d+)\}", r"(\1+\\frac{\2}{\3})", s)   # 1\frac{4}{5}: mixed number
    s = re.sub(r"^(\d+)\s+(\d+)/(\d+)$", r"(\1+\2/\3)", s)                                   # 11 6/6
    text = _to_python(s)
    if re.search(r"\d\s+\d", text):
        raise Unsure("digits separated by a space")
    text = re.sub(r"(?<![A-Za-z_])i(?![A-Za-z_])", "I", text) if re.search(r"\d\s*i\b|\bi\b", text) else text
    try:
        return parse_expr(text, local_dict={}, global_dict=dict(_GLOBALS), transformations=_TRANSFORMS, evaluate=True)
    except Unsure:
        raise
    except Exception as e:
        raise Unsure(f"unreadable expression ({type(e).__name__})")


def _argument(s, i):
    """A macro argument: a {...} group, a \\macro or one character (\\frac12)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        raise Unsure("a macro without its argument")
    if s[i] == "{":
        return _group(s, i)
    if s[i] == "\\":
        m = re.match(r"\\[a-zA-Z]+", s[i:])
        if m:
            return m.group(0), i + len(m.group(0))
    return s[i], i + 1


def _function_argument(s, i):
    """The argument of \\sin and friends: (..), {..}, or the next symbol or number (\\sin b, \\ln 2)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i < len(s) and s[i] == "(":
        return _group(s, i, "(", ")")
    if i < len(s) and s[i] == "{":
        return _group(s, i)
    m = re.match(r"\\[a-zA-Z]+|\d+(?:\.\d+)?|[A-Za-z](?:_\{?\w+\}?)?", s[i:])
    if not m:
        raise Unsure("a function without its argument")
    return m.group(0), i + len(m.group(0))


def _to_python(s):
    """LaTeX math to a string parse_expr reads; an unknown macro is Unsure, never a product of letters."""
    out, i = [], 0
    while i < len(s):
        if s.startswith("\\frac", i) and not s[i + 5:i + 6].isalpha():
            num, i = _argument(s, i + 5)
            den, i = _argument(s, i)
            out.append(f"(({_to_python(num)})/({_to_python(den)}))")
        elif s.startswith("\\binom", i):
            n, i = _argument(s, i + 6)
            k, i = _argument(s, i)
            out.append(f"binomial({_to_python(n)},{_to_python(k)})")
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
            if not m:
                raise Unsure(f"the symbol {s[i:i + 2]}")
            name = m.group(1)
            i += len(m.group(0))
            if name in _FUNCTIONS - {"sqrt"}:
                power = None
                if s[i:i + 1] == "^":
                    power, i = _argument(s, i + 1)
                base = None
                if name == "log" and s[i:i + 1] == "_":
                    base, i = _argument(s, i + 1)
                arg, i = _function_argument(s, i)
                fn = {"ln": "log", "arcsin": "asin", "arccos": "acos", "arctan": "atan"}.get(name, name)
                call = f"{fn}({_to_python(arg)}, {_to_python(base)})" if base else f"{fn}({_to_python(arg)})"
                out.append(f"({call})**({_to_python(power)})" if power else f"({call})")
            elif name in ("pi", "infty", "cdot", "times", "div", "e"):
                out.append({"pi": " pi ", "infty": " oo ", "cdot": "*", "times": "*", "div": "/", "e": " E "}[name])
            elif name in _GREEK:
                out.append(f" {name} ")
            else:
                raise Unsure(f"the macro \\{name}")
        elif s[i] == "|":
            j = s.find("|", i + 1)
            if j < 0:
                raise Unsure("an unclosed |")
            out.append(f"Abs({_to_python(s[i + 1:j])})")
            i = j + 1
        elif s[i] == "{":
            out.append("(")
            i += 1
        elif s[i] == "}":
            out.append(")")
            i += 1
        elif s[i] == "_":
            m = re.match(r"_\{?(\w+)\}?", s[i:])
            if not m:
                raise Unsure("a subscript")
            out.append("_" + m.group(1))                 # a_{37} is the name a_37
            i += len(m.group(0))
        elif s[i] == "!" and not s[i + 1:i + 2] == "=":
            out.append("!")
            i += 1
        elif s[i] in "&#@?\"'`":
            raise Unsure(f"the character {s[i]}")
        else:
            out.append(s[i])
            i += 1
    text = "".join(out)
    text = re.sub(r"(\w+|\([^()]*\))!", r"factorial(\1)", text)
    return text


# ---------------------------------------------------------------- comparing

def _has_float(e):
    return any(isinstance(a, sp.Float) for a in sp.preorder_traversal(e))


def same_number(a, b, precision):
    """Exact for exact numbers; rounded to `precision` places when either was written as a decimal."""
    if a == b:
        return True
    if a.has(sp.zoo, sp.nan) or b.has(sp.zoo, sp.nan):
        return False
    floats = _has_float(a) or _has_float(b)
    if not a.free_symbols and not b.free_symbols:
        va, vb = sp.N(a, 40), sp.N(b, 40)
        if va.has(sp.oo, -sp.oo) or vb.has(sp.oo, -sp.oo):
            return va == vb
        if floats:
            ra, rb = sp.re(va), sp.re(vb)
            ia, ib = sp.im(va), sp.im(vb)
            return ra.round(precision) == rb.round(precision) and ia.round(precision) == ib.round(precision)
        scale = max(1, abs(va), abs(vb))
        if abs(va - vb) > sp.Float("1e-25") * scale:
            return False
        return sp.simplify(a - b) == 0 or abs(va - vb) < sp.Float("1e-35") * scale
    if floats:
        a, b = sp.nsimplify(a, rational=True), sp.nsimplify(b, rational=True)
    try:
        return sp.simplify(a - b) == 0
    except Exception:
        return False


def _equation_difference(parts):
    return expr(parts[0]) - expr(parts[-1])


def _proportional(d1, d2, positive=False):
    """d1 = c * d2 for a constant c != 0 (c > 0 if positive)."""
    if d1 == 0 or d2 == 0:
        return d1 == 0 and d2 == 0
    ratio = sp.simplify(d1 / d2)
    if not ratio.is_number or ratio == 0 or ratio.has(sp.zoo, sp.nan):
        return False
    return bool(ratio > 0) if positive else True


def _canonical_inequality(parts, op):
    """lhs op rhs as (d, strict) meaning d > 0 or d >= 0; != as (d, None)."""
    lhs, rhs = expr(parts[0]), expr(parts[1])
    if op in ("<", "<="):
        return rhs - lhs, op == "<"
    if op in (">", ">="):
        return lhs - rhs, op == ">"
    return lhs - rhs, None


def _relation_as_intervals(node):
    """A relation in one variable as the set it describes (a list of intervals), else None."""
    parts, ops = node[1], node[2]
    if "!=" in ops:
        return None
    symbol = sp.Symbol("t_", real=True)
    exprs = []
    for p in parts:
        if is_name(p) and "|" not in p:
            exprs.append(None)
        else:
            exprs.append(expr(p))
    names = [k for k, e in enumerate(exprs) if e is None]
    if len(names) == 1:
        exprs[names[0]] = symbol
    else:
        free = set().union(*(e.free_symbols for e in exprs if e is not None))
        if len(free) != 1:
            return None
        real = sp.Symbol(next(iter(free)).name, real=True)
        exprs = [e.subs(next(iter(free)), real) for e in exprs]
        symbol = real
    relations = []
    for k, op in enumerate(ops):
        relations.append({"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge}[op](exprs[k], exprs[k + 1]))
    try:
        region = sp.And(*relations).as_set() if len(relations) > 1 else relations[0].as_set()
    except Exception:
        return None
    return _set_as_intervals(region)


def _set_as_intervals(region):
    pieces = region.args if isinstance(region, sp.Union) else (region,)
    out = []
    for p in pieces:
        if not isinstance(p, sp.Interval):
            return None
        out.append((p.start, p.end, not p.left_open, not p.right_open))
    return out


def _as_intervals(node):
    """Intervals as (lo, hi, closed-left, closed-right); None when the node is not a union of intervals."""
    if node[0] == "union":
        out = []
        for part in node[1]:
            got = _as_intervals(part)
            if got is None:
                return None
            out.extend(got)
        return out
    if node[0] == "tuple" and len(node[1]) == 2 and all(n[0] == "num" for n in node[1]):
        return [(node[1][0][1], node[1][1][1], node[2] == "[", node[3] == "]")]
    if node[0] == "rel":
        return _relation_as_intervals(node)
    return None


def _pair_off(xs, ys, match):
    """Every x matched to its own y, in any order (greedy: equality is transitive here)."""
    if len(xs) != len(ys):
        return False
    remaining = list(ys)
    for a in xs:
        k = next((k for k, b in enumerate(remaining) if match(a, b)), None)
        if k is None:
            return False
        remaining.pop(k)
    return True


def _same_intervals(x, y, precision):
    return x is not None and y is not None and _pair_off(x, y, lambda a, b: a[2] == b[2] and a[3] == b[3] and
                                                         same_number(a[0], b[0], precision) and same_number(a[1], b[1], precision))


def _distinct(items, precision):
    out = []
    for it in items:
        if not any(same(it, o, precision)[0] for o in out):
            out.append(it)
    return out


def _match_all(xs, ys, precision, ordered):
    if ordered:
        return len(xs) == len(ys) and all(same(a, b, precision)[0] for a, b in zip(xs, ys))
    # sets: a repeated element counts once
    return _pair_off(_distinct(xs, precision), _distinct(ys, precision), lambda a, b: same(a, b, precision)[0])


def same(x, y, precision=6):
    """(equivalent, reason) for two read answers."""
    kx, ky = x[0], y[0]
    # x = 5 against 5: the named value. An equation whose left side is not a name (7 = 11a + c) stays an equation.
    if kx == "eq" and ky != "eq":
        if not is_name(x[1][0]):
            return False, "an equation against a value"
        return same(_value(x), y, precision)
    if ky == "eq" and kx != "eq":
        return same(y, x, precision)
    if kx == "pm" or ky == "pm":
        if kx == "pm" and ky == "pm" and x[2] != y[2]:
            return False, "\\pm against \\mp"
        xs = x[1] if kx == "pm" else ([x] if kx not in ("list", "set") else x[1])
        ys = y[1] if ky == "pm" else ([y] if ky not in ("list", "set") else y[1])
        return _match_all(xs, ys, precision, False), "the two values of \\pm"
    if kx == "text" or ky == "text":
        if kx == ky:
            return x[1] == y[1], "text"
        other = y if kx == "text" else x
        text = x[1] if kx == "text" else y[1]
        if other[0] == "num" and isinstance(other[1], sp.Symbol) and other[1].name == text:
            return True, "a letter"
        return False, "text against a mathematical object"
    if kx == "num" and ky == "num":
        return same_number(x[1], y[1], precision), "numbers and expressions"
    if kx == "eq" and ky == "eq":
        lx, ly = re.sub(r"\s", "", x[1][0]), re.sub(r"\s", "", y[1][0])
        if is_name(x[1][0]) and is_name(y[1][0]) and lx == ly:
            return same(_value(x), _value(y), precision)
        return _proportional(_equation_difference(x[1]), _equation_difference(y[1])), "equations up to a non-zero factor"
    if kx == "rel" and ky == "rel":
        if len(x[2]) == 1 and len(y[2]) == 1:
            dx, sx = _canonical_inequality(x[1], x[2][0])
            dy, sy = _canonical_inequality(y[1], y[2][0])
            return sx == sy and _proportional(dx, dy, positive=sx is not None), "relations"
        return _same_intervals(_relation_as_intervals(x), _relation_as_intervals(y), precision), "relations as sets"
    if {kx, ky} & {"union", "rel"} or (kx == "tuple" and ky == "tuple" and (x[2] + x[3] != "()" or y[2] + y[3] != "()")):
        return _same_intervals(_as_intervals(x), _as_intervals(y), precision), "intervals"
    if kx == "tuple" and ky == "tuple":
        return _match_all(x[1], y[1], precision, True), "tuples"
    if kx in ("list", "set") and ky in ("list", "set"):
        return _match_all(x[1], y[1], precision, False), "sets"
    if {kx, ky} == {"tuple", "list"}:
        return _match_all(x[1], y[1], precision, True), "a tuple against a list"
    if kx == "matrix" and ky == "matrix":
        ok = len(x[1]) == len(y[1]) and all(_match_all(r, s, precision, True) for r, s in zip(x[1], y[1]))
        return ok, "matrices"
    if kx == ky and kx in ("ratio", "base"):
        return (_match_all(x[1], y[1], precision, True) if kx == "ratio" else x[1] == y[1]), kx
    return False, f"different kinds ({kx}, {ky})"


def _squash(s):
    return re.sub(r"\s+", "", s.replace("TEXT:", "")).lower()


def grade(gold, pred, precision=6):
    """(equivalent, reason): whether pred is the same answer as gold."""
    try:
        a, b = clean(gold), clean(pred)
    except Unsure as e:
        return False, f"not read: {e}"
    if not a or not b:
        return False, "an empty answer"
    if a == b:
        return True, "the same after normalization"
    # A decimal is compared at the places it was written to, and at least at `precision`: 0.0000672 is not 0.0000673.
    written = [len(d) for d in re.findall(r"\.(\d+)", a + " " + b)]
    precision = max([precision] + written)
    if re.fullmatch(r"TEXT:\d+", a) or re.fullmatch(r"TEXT:\d+", b):
        return False, "a number written as text"
    try:
        x, y = read(a), read(b)
    except Unsure as e:
        if _squash(a) == _squash(b):
            return True, f"the same text ({e})"
        return False, f"not read: {e}"
    except (RecursionError, ValueError, TypeError) as e:
        return False, f"not read: {type(e).__name__}"
    try:
        ok, reason = same(x, y, precision)
    except Unsure as e:
        return False, f"not compared: {e}"
    except Exception as e:
        return False, f"not compared: {type(e).__name__}"
    return bool(ok), ("equal: " if ok else "different: ") + reason


def numina_grade(gold, pred, precision=6):
    """One JSON line: {"equivalent": bool, "reason": str} — what the engine reads back."""
    import json
    ok, reason = grade(gold, pred, precision)
    print(json.dumps({"equivalent": ok, "reason": reason}))
