"""APS0xx: the tool's own diagnostics. They are reported by the pipeline itself, not
by visiting the tree; the classes carry their codes and documentation."""

from __future__ import annotations

from apisec_lint.rule import Example, Rule
from apisec_lint.types import FileKind, Severity

ALL_KINDS = frozenset(FileKind)


class SyntaxErrorDiagnostic(Rule):
    """The file could not be parsed, so it was not analysed.

    ## What it does
    Reports a Python file that libcst cannot parse (a syntax error, Python 2 code, a
    file nested too deeply), with the reason and the line.

    ## Why is this bad?
    No rule can look at a file that does not parse: its secrets and insecure calls stay
    hidden. The other files are still analysed and reported.

    ## Example
    ```python
    class Bot
        pass
    ```

    ## Use instead
    Fix the syntax; if the file is not Python, exclude it (`extend-exclude`).
    A file that no rule could fire on (the prefilter found none of the rules' tokens)
    is not parsed, so its syntax errors are not reported: apisec-lint is not a syntax
    checker.
    """

    code = "APS001"
    name = "syntax-error"
    severity = Severity.MEDIUM
    kinds = frozenset({FileKind.PYTHON})
    INVALID = (Example("import requests\nverify = False\nclass Bot\n    pass\n"),)
    VALID = ("import requests\n",)


class DecodeErrorDiagnostic(Rule):
    """The file's bytes are not valid in its declared encoding.

    ## What it does
    Reports a file that cannot be decoded: invalid UTF-8, a wrong PEP 263 coding
    cookie, a binary file with a `.py` name.

    ## Why is this bad?
    An undecodable file cannot be analysed.

    ## Example
    A file containing the byte `0xff` without a coding cookie.

    ## Use instead
    Save the file as UTF-8, or declare its encoding with `# -*- coding: latin-1 -*-`.
    """

    code = "APS002"
    name = "decode-error"
    severity = Severity.MEDIUM
    kinds = ALL_KINDS


class InternalErrorDiagnostic(Rule):
    """A rule failed on this file; the other rules' findings are still reported.

    ## What it does
    Reports that one rule raised an unexpected error, naming the rule.

    ## Why is this bad?
    That rule's findings for this file are missing. Please report it with the file.

    ## Use instead
    Nothing to change in your code; `--ignore` the named rule to silence it.
    """

    code = "APS003"
    name = "internal-error"
    severity = Severity.LOW
    kinds = ALL_KINDS


class UnusedSuppression(Rule):
    """A `# apisec: ignore[...]` comment that suppresses nothing.

    ## What it does
    Reports suppression comments whose codes matched no finding on their statement.

    ## Why is this bad?
    Stale suppressions hide the next real finding on that line.

    ## Example
    ```python
    timeout = 10  # apisec: ignore[APS201]
    ```

    ## Use instead
    Remove the comment.
    """

    code = "APS004"
    name = "unused-suppression"
    severity = Severity.LOW
    kinds = ALL_KINDS
    INVALID = (Example("x = 1  # apisec: ignore[APS201]\n", lines=(1,)),)
    VALID = ("import requests\nrequests.get('https://a', verify=False, timeout=5)"
             "  # apisec: ignore[APS201]\n",)


class MalformedSuppression(Rule):
    """A `# apisec:` comment that is not a valid suppression.

    ## What it does
    Reports unknown directives, unknown codes, empty code lists and blanket
    `# apisec: ignore` comments without a reason.

    ## Why is this bad?
    A suppression that does not parse suppresses nothing, and a blanket one without a
    reason hides every future finding on the line without saying why.

    ## Example
    ```python
    x = 1  # apisec: ignore
    ```

    ## Use instead
    ```python
    x = 1  # apisec: ignore[APS201] -- test server with a self-signed certificate
    ```
    """

    code = "APS005"
    name = "malformed-suppression"
    severity = Severity.LOW
    kinds = ALL_KINDS
    INVALID = (Example("x = 1  # apisec: ignore\n", lines=(1,)),
               Example("x = 1  # apisec: ignroe[APS201]\n", lines=(1,)))
    VALID = ("x = 1  # apisec: ignore -- reviewed: fixture\n",)


class FileTimeout(Rule):
    """The file took longer than the per-file time budget and was skipped.

    ## What it does
    Reports a file whose analysis exceeded `file-timeout` seconds (default 20).

    ## Why is this bad?
    Its findings are missing. Pathological generated files are the usual cause.

    ## Use instead
    Exclude generated files, or raise `file-timeout` in the config.
    """

    code = "APS006"
    name = "file-timeout"
    severity = Severity.LOW
    kinds = ALL_KINDS


class FileTooLarge(Rule):
    """The file is larger than `max-file-size` and was not read.

    ## What it does
    Reports a file over `max-file-size` megabytes (default 5; `0` = no limit), of any
    kind: Python, `.env`, JSON, YAML, TOML, INI. The file is skipped before it is read.

    ## Why is this bad?
    Its findings are missing. Files that big are generated data (exports, dumps,
    generated tables); analysing them costs gigabytes of memory and more than the
    `file-timeout` budget, so they would end in APS006 anyway — after the wait.

    ## Use instead
    Exclude generated files (`extend-exclude`), or raise `max-file-size`.
    """

    code = "APS007"
    name = "file-too-large"
    severity = Severity.LOW
    kinds = ALL_KINDS


RULES = [SyntaxErrorDiagnostic, DecodeErrorDiagnostic, InternalErrorDiagnostic,
         UnusedSuppression, MalformedSuppression, FileTimeout, FileTooLarge]
