"""Port Math-Verify's answer-versus-answer test cases into cases.jsonl (run once; the JSONL is committed).

Source: https://github.com/huggingface/Math-Verify, tests/*.py at commit 5d148cf (MIT licence, (c) 2024 The
HuggingFace Team). Every `@pytest.mark.parametrize` row with a gold, a prediction and an expected verdict is read
from the test files' syntax trees (no Math-Verify code runs). A row is kept when both sides are already-extracted
answers rather than free text for the extractor:
  - no `<think>`, at most one \\boxed, at most 150 characters, an unpaired $ only at an end;
  - outside the math delimiters ($..$, $$..$$, \\(..\\), \\[..\\]) only the words percent/pct/percentage/and/or/miles;
  - inside them fewer than three words of two or more letters once \\text{..} and macros are removed.
Rows run with non-default options (strict=False, allow_set_relation_comp=True) are left out: the workbench grades
with one setting, Math-Verify's default. `precision` is kept as a field (digits Math-Verify rounds to).

With --extraction, the other rows instead (free text on one side or both: what extraction must read first), into
extraction-cases.jsonl.

usage: python3 port.py MATH_VERIFY_CHECKOUT/tests > cases.jsonl
       python3 port.py --extraction MATH_VERIFY_CHECKOUT/tests > extraction-cases.jsonl
"""
import ast
import json
import math
import pathlib
import re
import sys

MATH = re.compile(r"\$\$(.*?)\$\$|\$(.*?)\$|\\\((.*?)\\\)|\\\[(.*?)\\\]", re.S)
ALLOWED_WORDS = {"percent", "pct", "percentage", "and", "or", "miles"}


def _lone_dollar_inside(s):
    """An unpaired $ anywhere but at either end (prose around a price: "Soucis : 2,74 $ a..")."""
    if len(re.findall(r"(?<!\\)\$", s)) % 2 == 0:
        return False
    t = s.strip()
    return not (t.startswith("$") or t.endswith("$"))


def answer_like(s):
    if "<think>" in s or s.count("\\boxed") > 1 or len(s) > 150 or _lone_dollar_inside(s):
        return False
    if MATH.search(s):
        outside = MATH.sub(" ", s)
        inside = " ".join(next(g for g in m.groups() if g is not None) for m in MATH.finditer(s))
    else:
        outside, inside = "", s
    if "$" in outside or any(w.lower() not in ALLOWED_WORDS for w in re.findall(r"[A-Za-z]+", outside)):
        return False
    bare = re.sub(r"\\(?:text|mbox|textbf|mathrm|textnormal)\{[^{}]*\}", " ", inside)
    bare = re.sub(r"\\[a-zA-Z]+", " ", bare)
    return len(re.findall(r"[A-Za-z]{2,}", bare)) < 3


def rows(path):
    tree = ast.parse(path.read_text())
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        for dec in fn.decorator_list:
            if not (isinstance(dec, ast.Call) and getattr(dec.func, "attr", "") == "parametrize"):
                continue
            names = [s.strip() for s in ast.literal_eval(dec.args[0]).split(",")]
            try:
                values = ast.literal_eval(dec.args[1])
            except ValueError:
                # test_float_precision builds its gold with an f-string: evaluate that one expression.
                try:
                    values = eval(compile(ast.Expression(dec.args[1]), str(path), "eval"), {"math": math})
                except NameError:
                    continue  # test_string_extraction: extraction configs, not answer pairs
            for value in values:
                row = dict(zip(names, value))
                if "gold" in row and "pred" in row and ("expected" in row or "result" in row):
                    yield fn.name, row


def main(tests_dir, extraction=False):
    for path in sorted(pathlib.Path(tests_dir).glob("test_*.py")):
        for test, row in rows(path):
            if row.get("strict", True) is not True or row.get("allow_set_relation_comp", False):
                continue
            if (answer_like(row["gold"]) and answer_like(row["pred"])) == extraction:
                continue
            expected = row.get("expected", row.get("result"))
            precision = row.get("precision", 5 if test in ("test_float_precision", "test_sqrt_precision", "test_symbols") else 6)
            print(json.dumps({"gold": row["gold"], "pred": row["pred"], "equivalent": bool(expected),
                              "precision": precision, "source": f"{path.name}::{test}"}, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[-1], extraction="--extraction" in sys.argv)
