"""APS2xx: transport security — TLS verification, insecure SSL contexts, plaintext
endpoints. The knobs come from the packs (``[[knobs]]`` with a ``tls-*`` topic)."""

from __future__ import annotations

from typing import Any

from apisec_lint.analysis.calls import find_arg
from apisec_lint.analysis.values import Const
from apisec_lint.packs import Knowledge, matches_any
from apisec_lint.rule import Example, Rule
from apisec_lint.types import Severity


class TlsVerifyDisabled(Rule):
    """TLS certificate verification is switched off for an exchange or HTTP client.

    ## What it does
    Finds `verify=False` (and the equivalent knobs each SDK pack declares) passed to a
    known HTTP or exchange-SDK call, followed through constants and conditional
    expressions. A parameter named `verify` of your own function is not matched.

    ## Why is this bad?
    Without certificate verification anyone on the network path (hotel Wi-Fi, a
    compromised VPS neighbour, a malicious proxy) can impersonate the exchange, read
    your API key and signatures, and alter orders and balances in flight.

    ## Example
    ```python
    requests.get("https://api.binance.com/api/v3/account", verify=False, timeout=5)
    ```

    ## Use instead
    ```python
    requests.get("https://api.binance.com/api/v3/account", timeout=5)
    # or pin a CA bundle: verify=certifi.where()
    ```

    ## How to suppress
    `# apisec: ignore[APS201] -- <why>` on the call.
    """

    code = "APS201"
    name = "tls-verify-disabled"
    severity = Severity.HIGH
    cwe = 295
    VALID = (
        "import requests\nrequests.get('https://x', timeout=5)\n",
        "import requests\nrequests.get('https://x', verify=True, timeout=5)\n",
        "import certifi, requests\nrequests.get('https://x', verify=certifi.where(), timeout=5)\n",
        "def request(path, verify=False):\n    return path\nrequest('/x', verify=False)\n",
    )
    INVALID = (
        Example("import requests\nrequests.get('https://x', verify=False, timeout=5)\n",
                lines=(2,)),
        Example("import requests as r\nVERIFY = False\n"
                "r.post('https://x', verify=VERIFY, timeout=5)\n", lines=(3,)),
        Example("import httpx\nc = httpx.Client(verify=False if 1 else True)\n", lines=(2,)),
    )

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        tokens = {"verify"}
        for knob in knowledge.knobs("tls-verify"):
            for key in ("param", "config_key", "attribute"):
                if knob.get(key):
                    tokens.add(knob[key].lower())
        return frozenset(t.encode() for t in tokens)

    def begin(self) -> None:
        self.knobs = self.ctx.knowledge.knobs("tls-verify")

    def visit_Call(self, node: Any) -> None:
        if not node.args:
            return
        callee = None
        for knob in self.knobs:
            if not knob.get("calls") or not knob.get("param"):
                continue
            arg = find_arg(node, knob["param"], knob.get("position"))
            if arg is None:
                continue
            if callee is None:
                callee = self.ctx.callee(node) or ""
            if not callee or not matches_any(callee, knob["calls"]):
                continue
            bad = knob.get("bad", [False])
            for cand in self.ctx.values.candidates(arg.value, self.ctx.scope):
                if isinstance(cand, Const) and _is_bad(cand.value, bad):
                    self.report(arg, f"{knob.get('message') or 'TLS verification disabled'}"
                                     f" in {callee.rsplit('.', 1)[-1]}()")
                    return


def _is_bad(value: Any, bad: list[Any]) -> bool:
    return any(type(value) is type(b) and value == b for b in bad)


RULES = [TlsVerifyDisabled]
