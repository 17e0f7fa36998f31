"""The Numina reference, written from the facts of shared/spec/sc-tir.md, as the notebook does it — bugs included.

The equivalence test feeds it the same transcripts and code blocks as the engine and compares: any difference must be
one of the spec's "known bugs of the reference not to copy". Reads JSON lines on stdin, answers one JSON line each:
  {"op": "answer", "text": transcript}  -> {"normalized": str | null, "vote": int | null}
  {"op": "code", "code": block}         -> {"appended": the text appended to the transcript}
"""
import json, os, re, subprocess, sys, tempfile

HEADER = "import math\nimport numpy as np\nimport sympy as sp\n"
TIMEOUT = 5


# ---- Answers ----

def last_boxed_only_string(string):
    idx = string.rfind("\\boxed")
    if idx < 0:
        idx = string.rfind("\\fbox")
        if idx < 0:
            return None
    i, right, depth = idx, None, 0
    while i < len(string):
        if string[i] == "{":
            depth += 1
        if string[i] == "}":
            depth -= 1
            if depth == 0:
                right = i
                break
        i += 1
    return None if right is None else string[idx:right + 1]


def remove_boxed(s):
    left = "\\boxed{"
    try:
        assert s[:len(left)] == left
        assert s[-1] == "}"
        return s[len(left):-1]
    except Exception:
        return None


SUBSTITUTIONS = [("an ", ""), ("a ", ""), (".$", "$"), ("\\$", ""), ("\\ ", ""), (" ", ""), ("mbox", "text"),
                 (",\\text{and}", ","), ("\\text{and}", ","), ("\\text{m}", "\\text{}"), ("\\le", "<")]
REMOVED = ["square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km", "units", "\\ldots", "sue",
           "points", "feet", "minutes", "digits", "cents", "degrees", "cm", "gm", "pounds", "meters", "meals", "edges",
           "students", "childrentickets", "multiples", "\\text{s}", "\\text{.}", "\\text{\ns}", "\\text{}^2",
           "\\text{}^3", "\\text{\n}", "\\text{}", r"\mathrm{th}", r"^\circ", r"^{\circ}", r"\;", r",\!", "{,}", '"',
           "\\dots", "\n", "\r", "\f", "\\%"]


def normalize_answer(answer):
    answer = answer.split("Problem:")[0]
    for before, after in SUBSTITUTIONS:
        answer = answer.replace(before, after)
    for expr in REMOVED:
        answer = answer.replace(expr, "")
    for pattern in [r"(\\text\{)(.*?)(\})", r"(\\textbf\{)(.*?)(\})", r"(\\overline\{)(.*?)(\})", r"(\\boxed\{)(.*)(\})"]:
        answer = re.sub(pattern, "\\2", answer)
    for pattern in [r"finalansweris(.*)", r"answer?is:?(.*)", r"oxed\{(.*?)\}", r"\$(.*?)\$"]:
        if len(re.findall(pattern, answer)) > 0:
            answer = re.findall(pattern, answer)[-1]
    answer = answer.strip()
    if "rac" in answer and "\\frac" not in answer:
        answer = answer.replace("rac", "\\frac")
    answer = re.sub(r"(frac)([^{])(.)", "frac{\\2}{\\3}", answer)
    answer = re.sub(r"(sqrt)([^{])", "sqrt{\\2}", answer)
    answer = answer.replace("$", "")
    if answer.replace(",", "").isdigit():
        answer = answer.replace(",", "")
    return answer


def answer_of(transcript):
    """The normalized answer of a transcript, or None (the reference's -1)."""
    region = transcript[-100:]
    if "boxed" in region:
        boxed = last_boxed_only_string(region)
        content = remove_boxed(boxed) if boxed is not None else None
        return None if content is None else normalize_answer(content)
    if "answer is" in region:
        return normalize_answer(region)
    return None


def vote_value(normalized):
    """The integer filter: round(float(x)), non-numeric and negative dropped, mod 1000."""
    if normalized is None:
        return None
    try:
        value = round(float(normalized))
    except Exception:
        return None
    return None if value < 0 else value % 1000


# ---- Code ----

def filter_traceback(stderr, path):
    lines = stderr.strip().split("\n")
    kept, want_next = [], False
    for i, line in enumerate(lines):
        if "Traceback" in line:
            kept.append(line)
        elif i == len(lines) - 1:
            kept.append(line)
        elif path in line:
            kept.append(line.split(path)[0])
            want_next = True
        elif want_next:
            kept.append(line)
            want_next = False
    return "\n".join(kept).strip()


def process_code(code):
    if "subprocess" in code:
        return "subprocess is not allowed"
    if "venv" in code:
        return "venv is not allowed"
    lines = code.strip().split("\n")
    last = lines[-1]
    if "print(" not in last:
        if "#" in last:
            last = last.split("#")[0]
        lines[-1] = "print(" + last.strip() + ")"  # .strip(): an indented line leaves its block (a bug not to copy)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "tmp.py")
        with open(path, "w") as f:
            f.write(HEADER + "\n".join(lines))
        try:
            done = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=TIMEOUT, cwd=folder, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return "Timed out after %d seconds." % TIMEOUT
        if done.returncode == 0:
            return done.stdout.strip()
        return filter_traceback(done.stderr, path)


def appended(code):
    result = process_code(code)
    if len(result) > 200:
        result = result[:200] + " ... (output truncated)"
    return result + "\n```"


for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    if request["op"] == "answer":
        normalized = answer_of(request["text"])
        print(json.dumps({"normalized": normalized, "vote": vote_value(normalized)}), flush=True)
    else:
        print(json.dumps({"appended": appended(request["code"])}), flush=True)
