"""APS1xx: credentials -- hardcoded keys and secrets, secret fallbacks, leaks to output,
secrets in committed config files and in comments.

Every rule isolates a value first (a literal the CST shows in a credential position,
a config-file entry, a comment's ``name = value``) and then asks
:mod:`apisec_lint.analysis.secrets` whether that one value is a credential. Where
credentials go (SDK parameters, config keys, client attributes) and where they come
from (env readers, settings defaults) is pack knowledge: ``[[clients]]``,
``[[secret_params]]``, ``[[secret_sources]]``, ``[[secret_defaults]]``,
``[[leak_sinks]]``, ``[[key_shapes]]`` and ``[[placeholders]]``.

A literal is reported once, by the most specific rule: APS101 (a known SDK slot) claims
it before APS102 (a secret-ish name) looks at it.
"""

from __future__ import annotations

import io
import re
import string
import tokenize
from collections.abc import Iterable
from typing import Any

from apisec_lint import crossfile
from apisec_lint._lazy import cst
from apisec_lint.analysis.calls import find_arg
from apisec_lint.analysis.configfile import config_doc, iter_strings
from apisec_lint.analysis.credentials import CREDENTIAL_ROLES, credentials
from apisec_lint.analysis.imports import dotted_name
from apisec_lint.analysis.secrets import (
    DETECTOR_TOKENS,
    FILE_ONLY_TOKENS,
    SECRET_WORDS,
    VALUE_TOKENS,
    NameInfo,
    Verdict,
    assess,
    classify_name,
    compile_shapes,
    mask,
    role_label,
)
from apisec_lint.analysis.values import Const, DictVal, _attr_key, string_value
from apisec_lint.fix import UNSAFE, AddImport, FixSpec, Replace
from apisec_lint.packs import Knowledge, compile_pattern, matches_any
from apisec_lint.rule import Example, Rule
from apisec_lint.types import CONFIG_KINDS, FileKind, Severity, Span

_OPTIONS = {"placeholder-patterns": []}
_SKIPPED_ROLES = ("uid", "wallet")


# --------------------------------------------------------------------------- shared kit

class _Kit:
    """What every credential rule of a file shares: shapes, placeholders and the set of
    literal nodes already reported (so one literal gives one finding)."""

    def __init__(self, ctx: Any) -> None:
        knowledge = ctx.knowledge
        self.shapes = compile_shapes(knowledge.section("key_shapes"))
        extra = ctx.option("placeholder-patterns") or ctx.option("placeholder_patterns") or ()
        if isinstance(extra, str):
            extra = (extra,)
        self.placeholders = tuple(e["pattern"] for e in knowledge.section("placeholders")) + \
            tuple(str(p) for p in extra)
        self.text = ctx.text
        self.text_lower = ctx.text.lower()
        self.claimed: set[int] = set()
        self._names: frozenset[str] | None = None

    @property
    def secret_names(self) -> frozenset[str]:
        """Every word of the file (identifier, or dict key / env-var name in a string)
        that :func:`classify_name` takes for a secret holder. Named checks can only fire
        on one of them, so a file without any skips them."""
        if self._names is None:
            text = self.text
            words = set()
            end = -1
            # the lowercased text has the same offsets when lowering kept its length
            # (ASCII always does), and a case-sensitive search is several times faster
            low = self.text_lower
            matches = _SECRET_WORD_LOW_RE.finditer(low) if len(low) == len(text) \
                else _SECRET_WORD_RE.finditer(text)
            for m in matches:
                if m.start() < end:
                    continue  # inside the word found last
                start, end = m.start(), m.end()
                while start > 0 and text[start - 1] in _WORD_CHARS:
                    start -= 1
                while end < len(text) and text[end] in _WORD_CHARS:
                    end += 1
                words.add(text[start:end])
            self._names = frozenset(w for w in words if classify_name(w) is not None)
        return self._names

    def assess(self, value: Any, strength: str, role: str = "",
               name: str | None = None) -> Verdict | None:
        return assess(value, strength=strength, role=role, name=name, shapes=self.shapes,
                      placeholders=self.placeholders, text_lower=self.text_lower)


_SECRET_WORD_RE = re.compile("|".join(re.escape(w) for w in SECRET_WORDS), re.IGNORECASE)
_SECRET_WORD_LOW_RE = re.compile("|".join(re.escape(w.lower()) for w in SECRET_WORDS))
_WORD_CHARS = frozenset(string.ascii_letters + string.digits + "_-")


def _kit(ctx: Any) -> _Kit:
    kit: _Kit = ctx.analysis("credentials.kit", _Kit)
    return kit


def _literal_fragment(pattern: str) -> str | None:
    """A literal piece of a qualified-name pattern that any name it matches contains,
    so source code calling it contains it too: the root module when it is literal
    (``telegram.ext.**.token`` -> ``telegram``: the most specific word), else the
    longest literal piece (``*.route`` -> ``route``). ``builtins.`` is implicit in
    source code and skipped."""
    segments = [seg for seg in pattern.split(".") if seg != "builtins"]
    if segments and pattern.split(".")[0] != "builtins":
        root = max(re.split(r"\*+|\[[^\]]*\]", segments[0]), key=len)
        if len(root) >= 3:
            return root.lower()
    best = ""
    for segment in segments:
        for piece in re.split(r"\*+|\[[^\]]*\]", segment):
            if len(piece) > len(best):
                best = piece
    return best.lower() or None


def _pattern_tokens(patterns: Iterable[str]) -> set[str] | None:
    tokens: set[str] = set()
    for pattern in patterns:
        frag = _literal_fragment(pattern)
        if frag is None:
            return None  # a pattern with no literal part: cannot prefilter
        tokens.add(frag)
    return tokens


def _secret_tokens() -> set[str]:
    # Detectors without a fixed substring (Telegram / Discord tokens) run name-less only
    # in files holding one of their file tokens, which DETECTOR_TOKENS includes.
    return set(SECRET_WORDS) | set(DETECTOR_TOKENS)


class _NameGate:
    """A cheap test before resolving a callee: the called name (``x.get`` -> ``get``,
    ``getenv`` -> ``getenv``) must be able to end one of the qualified-name patterns.
    Resolving callees touches the import map and the value index; most calls of a file
    are ruled out by their name alone."""

    def __init__(self, patterns: Iterable[str], extra_names: Iterable[str] = (),
                 text_lower: str = "") -> None:
        parts = []
        for pattern in patterns:
            last = pattern.rsplit(".", 1)[-1]
            if not last.strip("*"):
                # ``environs.Env.*``: any name may end it; only worth admitting in files
                # that mention the rest of the pattern
                frag = _literal_fragment(pattern)
                if frag is None or frag in text_lower:
                    parts.append("[^.]*")
                continue
            regex = compile_pattern(last).pattern
            parts.append(regex[:-2] if regex.endswith("\\Z") else regex)
        parts.extend(re.escape(n) for n in extra_names)
        self.regex = re.compile("(?:" + "|".join(parts) + r")\Z") if parts else None

    def admits(self, call: Any) -> bool:
        if self.regex is None:
            return False
        func = call.func
        if isinstance(func, cst.Attribute):
            name = func.attr.value
        elif isinstance(func, cst.Name):
            name = func.value
        else:
            # getattr(ccxt, "x")(...) and the like: let the callee decide
            return isinstance(func, cst.Call)
        return self.regex.match(name) is not None


def _string_value(node: Any) -> Any:
    """The value of a plain string/bytes literal node, else None (f-strings excluded)."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        try:
            value = string_value(node)
        except Exception:
            return None
        return value if isinstance(value, (str, bytes)) else None
    return None


def _secret_of(value: Any, verdict: Verdict) -> str:
    """The secret a finding is about: the plugin's match inside the value, else the
    value (as text)."""
    if verdict.match:
        return verdict.match
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return value if isinstance(value, str) else repr(value)


def _target_name(target: Any) -> tuple[str, str] | None:
    """(the name that says what a target holds, a display name) for an assignment
    target: ``API_KEY``, ``self.secret``, ``cfg["apiKey"]``, ``os.environ["X"]``."""
    if isinstance(target, cst.Name):
        return target.value, target.value
    if isinstance(target, cst.Attribute):
        return target.attr.value, _attr_key(target) or target.attr.value
    if isinstance(target, cst.Subscript) and len(target.slice) == 1 and \
            isinstance(target.slice[0].slice, cst.Index):
        key = _string_value(target.slice[0].slice.value)
        if isinstance(key, str):
            owner = dotted_name(target.value) or "…"
            return key, f"{owner}[{key!r}]"
    return None


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _short(callee: str) -> str:
    """``binance.um_futures.UMFutures`` -> ``UMFutures``; ``hmac.new`` -> ``hmac.new``."""
    if not callee:
        return "call"
    parts = callee.split(".")
    if len(parts) >= 2 and parts[-1][:1].islower():
        return ".".join(parts[-2:])
    return parts[-1]


def _in_subtree(node: Any, root: Any) -> bool:
    from apisec_lint.walk import iter_tree

    if node is root:
        return True
    return any(n is node for n in iter_tree(root))


# --------------------------------------------------------------------------- APS101

# Sample secrets of the rule examples: random strings that never were keys, assembled
# here so that no literal of a known token format (Telegram, Discord, AWS) appears in
# this file and the project passes its own linter.
_K64 = "lAkbQmFPlrSAQGiCzNgpvYbHRET6124X3z3opHzNmBhDFNd5gTPdYuqp8fnSjJK1"
_S64 = "hUCmidAhRtcYVaZYzwUHWgHDT4QeQayRmSKvarOzK8UyQPCvRysvT6QjrfZ9uaUN"
_H64 = "hXc7Pq2LmN9vR4tY8wZ1aB3dE5fG6hJ0kK2mM4nN6pP8qQ0rR2sS4tT6uU8vV0w1"
_K32 = "Zr8vK2pQ7mX4nL9tB3wY6cF1hJ5dS0gA"
_Q32 = "q9W3eR7tY1uI5oP8aS2dF6gH0jK4lZ3x"
_HEX32 = "9f86d081884c7d659a2feaa0c55ad015"
_HEX64 = "60dc60b4350ff85708349f3bfc469cc5512f94513d9b21afc68577ab71c8ff71"
_HEX64B = "97497b1881c0758129e8a6cc1905aca0c8852c5d2c5a0e18a688267bb39c3a89"
_UUID = "3f2a9c1e-7b4d-4e8f-9a6b-1c2d3e4f5a6b"
_KUCOIN = "5f2b8e1a9c3d7e4f6a0b1c2d"
_KUCOIN2 = "569e8efcf1aa54e4dde6ed48"
_BYBIT = "aB3dE5fG7hJ9kL1mN2"
_BITGET = "bg_3acc486e090249ddcd10dc224ada8aed"
_TG = "5414506178:" + "AAe9CDuwwtetr_jLpyMqhNU0B02vz1bF7Xhq"
_DISCORD = "MTA5ODc2NTQzMjEwOTg3NjU0Mw" + ".GaBcDe." + "fGhIjKlMnOpQrStUvWxYz0123456789AbCd"
_AWS = "AKIA" + "IOSFODNN7ABCDEFG"


class HardcodedCredential(Rule):
    """A literal API key, secret, passphrase or bot token reaches an exchange or bot client.

    ## What it does
    Follows the credential parameters of every client constructor the packs know --
    keyword and positional (`Client("k", "s")`, `Spot(k, s)`, `UMFutures(key=, secret=)`,
    `TradeAPI(k, s, passphrase, False, flag)`, `User(k, s, p)`, `HTTP(api_key=, api_secret=)`,
    `ConfigurationRestAPI(api_key=, api_secret=)`), ccxt config dicts (`apiKey`, `secret`,
    `password`, `privateKey`, `token`..., passed positionally or as `config=`, built key by
    key, merged with `{**base, ...}` or held in a variable first), attributes set after
    construction (`exchange.secret = "..."`, snake_case too), chat-bot tokens
    (`telebot.TeleBot(token)`, `bot.run(token)`) and HMAC signing keys of raw REST bots
    (`hmac.new(secret.encode(), ...)`) back to the string literal, also through module
    constants. The finding is reported at the literal, where the secret is written.
    Placeholders (`""`, `"YOUR_API_KEY"`, `"<secret>"`, `"-1"`, `${VAR}`...) are ignored,
    and so are `uid` and `walletAddress`: identifiers, not secrets.

    ## Why is this bad?
    A key in source code ends up in git history, forks, CI logs and every copy of the
    repository. Anyone who reads it can trade -- or withdraw -- with your account.

    ## Example
    ```python
    from binance.um_futures import UMFutures
    um = UMFutures(key="lAkbQmFPlrSA...", secret="hUCmidAhRtcY...")
    ```

    ## Use instead
    ```python
    import os
    from binance.um_futures import UMFutures
    um = UMFutures(key=os.environ["BINANCE_KEY"], secret=os.environ["BINANCE_SECRET"])
    ```

    ## Across files
    A module constant defined in one scanned file and imported into a client in another
    (`from settings import K1`, `import settings` + `settings.K1`, `from .settings import
    K1`, `from pkg.settings import K1 as KEY`, a package `__init__` re-export) is reported
    at the literal in the defining file, naming the use (`... reaches
    ccxt.binance({'apiKey': ...}) in bot.py:3`). Imports are resolved among the scanned
    files only (relative imports from the importing package, absolute ones from the
    importing file's folder and its parents), never through `sys.path`: with only
    `bot.py` scanned (a pre-commit run on that file alone), nothing is reported in
    `settings.py`. The defining file's suppressions, per-file ignores and baseline apply.
    A literal that APS102 already reports in its own file (a secret-named constant) is
    not reported twice.

    Invalid (`settings.py`, line 1):
    ```python
    # settings.py
    K1 = "lAkbQmFPlrSA..."
    # bot.py
    import ccxt
    from settings import K1
    ex = ccxt.binance({"apiKey": K1})
    ```

    Valid: `K1 = "YOUR_API_KEY"` (a placeholder), `K1` not reaching a credential slot
    (`ccxt.binance({"timeout": K1})`), or `settings.py` not among the scanned files.

    ## Fix
    Unsafe (`--fix --unsafe-fixes`): the literal is replaced by `os.environ["<PREFIX>_<ROLE>"]`
    where it is written (a module constant keeps its name and now reads the environment), and
    `import os` is added once, after the docstring and `__future__` imports. The prefix is the
    client's `env_prefix` in the packs, else its exchange id in capitals (`BINANCE`, `KRAKEN`,
    `TELEGRAM`); the suffix comes from the role (`[[credential_env]]`: `API_KEY`, `API_SECRET`,
    `API_PASSPHRASE`, `TOKEN`...). The report names the variables to set. Rotate the key
    anyway: it is still in the history.

    ## Options
    `placeholder-patterns`: extra regexes (whole value, case-insensitive) for your
    project's placeholders.

    ## How to suppress
    Rotate the key first. Then `# apisec: ignore[APS101] -- <why>` on the literal's line.
    """

    code = "APS101"
    name = "hardcoded-credential"
    severity = Severity.HIGH
    cwe = 798
    fixable = True
    fix_applicability = UNSAFE
    fix_description = ("unsafe (the variable must then be set): the literal is replaced by "
                       "`os.environ[\"<EXCHANGE>_<ROLE>\"]` (`BINANCE_API_KEY`; prefix and "
                       "suffix from the packs), `import os` is added once")
    options = _OPTIONS
    VALID = (
        "import os\nfrom binance.client import Client\n"
        "c = Client(os.environ['K'], os.environ['S'])\n",
        "from binance.client import Client\nc = Client('YOUR_API_KEY', 'YOUR_API_SECRET')\n",
        "import ccxt\nex = ccxt.binance({'apiKey': '', 'secret': '<secret>'})\n",
        "import okx.Trade as Trade\napi = Trade.TradeAPI('-1', '-1', '-1', False, '1')\n",
        "import ccxt\nex = ccxt.kraken({'apiKey': '${KRAKEN_KEY}', 'secret': 'changeme'})\n",
        "import telebot, os\nbot = telebot.TeleBot(os.getenv('TG_TOKEN'))\n",
        Example("from binance.client import Client\n"
                "c = Client('acme-K3y-Xb9Qm2Lp7Rt4', 'acme-S3c-Xb9Qm2Lp7Rt4Zz')\n",
                options=(("placeholder-patterns", ["acme-.*"]),)),
    )
    INVALID = (
        Example("from binance.um_futures import UMFutures\n"
                f"um = UMFutures(key='{_K64}',"
                " secret=SECRET)\n", lines=(2,)),
        Example("from binance.client import Client\n"
                f"c = Client('{_H64}',"
                " 'x')\n", lines=(2,)),
        Example(f"import ccxt\nKEY = '{_K32}'\n"
                "cfg = {'enableRateLimit': True}\ncfg['apiKey'] = KEY\n"
                "ex = ccxt.bybit(cfg)\n", lines=(2,)),
        Example("import ccxt\nbase = {'timeout': 5000}\n"
                "ex = ccxt.okx(config={**base, 'password': 'Tr4d1ngPass!'})\n", lines=(3,)),
        Example(f"import ccxt\nex = ccxt.binance()\nex.secret = '{_Q32}'\n",
                lines=(3,)),
        Example("import okx.Trade as Trade\n"
                f"api = Trade.TradeAPI('{_UUID}', S, P, False, '0')\n",
                lines=(2,)),
        Example(f"from kucoin.client import User\nu = User('{_KUCOIN}', s, p)\n",
                lines=(2,)),
        Example("from pybit.unified_trading import HTTP\n"
                f"s = HTTP(testnet=False, api_key='{_BYBIT}', api_secret=SEC)\n",
                lines=(2,)),
        Example(f"import telebot\nbot = telebot.TeleBot('{_TG}')\n",
                lines=(2,)),
        Example("import discord\nclient = discord.Client(intents=None)\n"
                f"TOKEN = '{_DISCORD}'\n"
                "client.run(TOKEN)\n", lines=(3,)),
        Example(f"from binance.spot import Spot\nclient = Spot('{_K64}', '{_S64}')\n",
                lines=(2,)),
        Example("from binance_common.configuration import ConfigurationRestAPI\n"
                f"conf = ConfigurationRestAPI(api_key=K, api_secret='{_S64}')\n", lines=(2,)),
        Example(f"import ccxt\nconf = dict(apiKey='{_Q32}', secret=S)\nex = ccxt.gate(conf)\n",
                lines=(2,)),
        Example("import hmac, hashlib\n"
                f"sig = hmac.new('{_S64}'.encode(), query, hashlib.sha256)\n", lines=(2,)),
    )

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        patterns = [p for e in knowledge.section("clients") for p in e["match"]]
        patterns += [p for e in knowledge.section("secret_params") for p in e["calls"]]
        tokens = _pattern_tokens(patterns)
        return None if tokens is None else frozenset(t.encode() for t in tokens)

    def begin(self) -> None:
        self.kit = _kit(self.ctx)
        self.secret_params = self.ctx.knowledge.section("secret_params")
        self.gate = _NameGate((p for e in self.secret_params for p in e["calls"]),
                              text_lower=self.kit.text_lower)

    def visit_Call(self, node: Any) -> None:
        if not node.args:
            return
        info = self.ctx.clients.constructed_by(node)
        if info is not None:
            self._check_client(node, info.constructor, info.entry)
        if self.secret_params and self.gate.admits(node):
            callee = self.ctx.callee(node)
            if callee:
                for entry in self.secret_params:
                    if matches_any(callee, entry["calls"]):
                        for param in entry["params"]:
                            self._check_param(node, callee, param, self._prefix(entry))
                        break

    def _check_client(self, call: Any, callee: str, entry: dict[str, Any]) -> None:
        prefix = self._prefix(entry, call)
        for param in entry.get("params", ()):
            self._check_param(call, callee, param, prefix)
        config = entry.get("config")
        keys = entry.get("config_keys", ())
        if not config or not keys:
            return
        arg = find_arg(call, config.get("name"), config.get("position"))
        if arg is None:
            return
        for cand in self.ctx.values.candidates(arg.value, self.ctx.scope):
            if not isinstance(cand, DictVal):
                continue
            for ck in keys:
                if ck["role"] in _SKIPPED_ROLES:
                    continue
                for key in sorted({ck["key"], _snake(ck["key"])}):
                    found = cand.entry(key)
                    if found is None:
                        continue
                    where = f"{_short(callee)}({{'{key}': ...}})"
                    if isinstance(found[1], Const):
                        self._check_const(found[1], ck["role"], where, self._prefix(entry, call))
                    else:
                        expr = self.ctx.values.entry_expr(found[0])
                        if expr is not None:
                            crossfile.note(self.ctx, expr, ck["role"], where)

    def _check_param(self, call: Any, callee: str, param: dict[str, Any],
                     prefix: str = "") -> None:
        role = param.get("role", "secret")
        if role in _SKIPPED_ROLES:
            return
        arg = find_arg(call, param.get("name"), param.get("position"))
        if arg is None:
            return
        label = param.get("name") or f"#{param.get('position')}"
        value = arg.value
        # "literal".encode() / .strip(): the literal is still the credential
        while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
                value.func.attr.value in ("encode", "strip") and not value.args:
            value = value.func.value
        where = f"{_short(callee)}({label}=...)"
        for cand in self.ctx.values.candidates(value, self.ctx.scope):
            if isinstance(cand, Const):
                self._check_const(cand, role, where, prefix)
        crossfile.note(self.ctx, value, role, where)

    def _check_const(self, const: Const, role: str, where: str, prefix: str = "") -> None:
        if id(const.node) in self.kit.claimed:
            return
        verdict = self.kit.assess(const.value, "slot", role)
        if verdict is None:
            return
        secret = _secret_of(const.value, verdict)
        self.kit.claimed.add(id(const.node))
        self.report(const.node, f"hardcoded {role_label(role)} reaches {where}: "
                                f"{mask(secret)} ({verdict.what}); read it from the "
                                f"environment or a secret store", secret=secret,
                    fix=self._env_fix(const, role, prefix))

    # -- the fix: read it from the environment ------------------------------------------
    def _prefix(self, entry: dict[str, Any], call: Any = None) -> str:
        """The env-var prefix of a client or secret-taking call: the pack's
        ``env_prefix``, else the exchange id the client is for, in capitals."""
        if entry.get("env_prefix"):
            return str(entry["env_prefix"])
        exchange = entry.get("exchange")
        if not exchange and call is not None:
            info = self.ctx.clients.constructed_by(call)
            exchange = info.exchange if info is not None else None
        return str(exchange or "")

    def _env_fix(self, const: Const, role: str, prefix: str) -> FixSpec | None:
        """``os.environ["BINANCE_API_KEY"]`` in place of the literal (where it is
        written: a module constant keeps its name and now reads the environment)."""
        if not isinstance(const.node, (cst.SimpleString, cst.ConcatenatedString)):
            return None
        suffix = next((e["suffix"] for e in self.ctx.knowledge.section("credential_env")
                       if e["role"] == role), None)
        if suffix is None:
            return None
        stem = re.sub(r"[^A-Z0-9]+", "_", (prefix or "EXCHANGE").upper()).strip("_")
        base = f"{stem or 'EXCHANGE'}_{suffix}"
        names: dict[str, Any] = self.ctx.shared.setdefault("credential-env-names", {})
        name, n = base, 1
        while names.get(name, const.value) != const.value:  # another secret has it
            n += 1
            name = f"{base}_{n}"
        names[name] = const.value
        read = f'os.environ["{name}"]' + (".encode()" if isinstance(const.value, bytes) else "")
        return FixSpec((Replace(const.node, read), AddImport("os")), UNSAFE,
                       f"read it from the environment: set {name}", env=(name,))

    def visit_Assign(self, node: Any) -> None:
        for target in node.targets:
            tgt = target.target
            if not isinstance(tgt, cst.Attribute):
                continue
            info = self.ctx.clients.client_of(tgt.value, self.ctx.scope)
            if info is None:
                continue
            attr = tgt.attr.value
            for spec in info.entry.get("attributes", ()):
                if attr in (spec["name"], _snake(spec["name"])) and \
                        spec["role"] not in _SKIPPED_ROLES:
                    where = f"{_attr_key(tgt) or attr} (client attribute)"
                    prefix = str(info.entry.get("env_prefix") or info.exchange or "")
                    for cand in self.ctx.values.candidates(node.value, self.ctx.scope):
                        if isinstance(cand, Const):
                            self._check_const(cand, spec["role"], where, prefix)
                    crossfile.note(self.ctx, node.value, spec["role"], where)
                    break


# --------------------------------------------------------------------------- APS102

class SecretNamedLiteral(Rule):
    """A variable, key, argument or default named like a secret holds a secret-like literal.

    ## What it does
    Looks at string literals assigned to secret-ish names (`api_key`, `apiKey`,
    `API_SECRET`, `passphrase`, `private_key`, `secret_key`, `bot_token`,
    `X-MBX-APIKEY`...) -- in assignments, annotated class fields, dict literals, keyword
    arguments, parameter defaults and `==` comparisons -- and judges the literal alone:
    detect-secrets' entropy measures and format plugins (AWS, private keys, JWT,
    Telegram, Discord, Slack, Stripe, GitHub...), the known key shapes of the packs
    (64-character Binance keys, 18/36-character Bybit keys, UUID OKX keys, 24-hex KuCoin
    keys) and placeholder filters. Names such as `key` or `token` alone count only when
    the value is random-looking. A string that matches a detect-secrets format plugin is
    reported whatever it is called.

    ## Why is this bad?
    The secret is committed with the code: everyone with read access to the repository,
    its forks and its CI can use it.

    ## Example
    ```python
    BINANCE_API_SECRET = "hUCmidAhRtcYVaZYzwUHWgHDT4QeQayRmSKvarOzK8UyQPCvRysvT6QjrfZ9uaUN"
    ```

    ## Use instead
    ```python
    BINANCE_API_SECRET = os.environ["BINANCE_API_SECRET"]
    ```

    ## Options
    `placeholder-patterns`: extra regexes for project-specific placeholders.

    ## How to suppress
    `# apisec: ignore[APS102] -- <why>` (for example a published test vector).
    """

    code = "APS102"
    name = "secret-named-literal"
    severity = Severity.HIGH
    cwe = 798
    options = _OPTIONS
    VALID = (
        "API_KEY = 'YOUR_API_KEY'\nAPI_SECRET = ''\n",
        "api_key = os.environ['BINANCE_API_KEY']\n",
        "API_KEY_ENV = 'BINANCE_API_KEY'\napi_key = 'BINANCE_API_KEY'\n",
        "cfg = {'apiKey': '<your key>', 'secret': 'xxxxxxxxxxxxxxxx'}\n",
        "def connect(api_key: str = None, api_secret: 'str' = ''):\n    pass\n",
        "sort_key = 'a8Fk2mQ9xL3vT7pW1zR5'\ntoken = 'USDT'\nkey = 'BTC/USDT'\n",
        "password_prompt = 'Enter your password: '\nsecret_name = 'prod/binance/api'\n",
        "api_key = 'apiKey'\nPASSPHRASE = '-1'\n",
        "api_key: str\nsecret_key_path = '/etc/keys/binance.pem'\n",
        "token_address = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48'\n",
    )
    INVALID = (
        Example(f"BINANCE_API_SECRET = '{_S64}'\n",
                lines=(1,)),
        Example(f"class Settings:\n    api_key: str = '{_K32}'\n", lines=(2,)),
        Example(f"self_cfg = {{\n    'apiKey': '{_Q32}',\n}}\n", lines=(2,)),
        Example(f"headers = {{'X-MBX-APIKEY': '{_H64}'}}\n",
                lines=(1,)),
        Example("def connect(host, passphrase='Tr4d1ng!Pass'):\n    pass\n", lines=(1,)),
        Example(f"client = make_client(secret_key='{_HEX32}')\n", lines=(1,)),
        Example(f"key = '{_KUCOIN2}'\n", lines=(1,)),
        Example(f"os.environ['OKX_API_KEY'] = '{_UUID}'\n", lines=(1,)),
        Example("if password == 'hunter2!x':\n    pass\n", lines=(1,)),
        Example(f"aws = '{_AWS}'\n", lines=(1,)),
    )

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        return frozenset(t.encode() for t in _secret_tokens())

    def begin(self) -> None:
        self.kit = _kit(self.ctx)
        self.pending: list[tuple[Any, str, Verdict]] = []
        self.named: set[int] = set()
        low = self.kit.text_lower
        self.tokenless = any(t in low for t in FILE_ONLY_TOKENS)

    def _check(self, name: str, display: str, value_node: Any) -> None:
        value = _string_value(value_node)
        if value is None:
            return
        info = classify_name(name)
        if info is None:
            return
        self.named.add(id(value_node))
        verdict = self.kit.assess(value, info.strength, info.role, name)
        if verdict is not None:
            where = f"{role_label(info.role)} literal in {display}"
            self.pending.append((value_node, where, verdict))

    def visit_Assign(self, node: Any) -> None:
        for target in node.targets:
            self._assign(target.target, node.value)

    def visit_AnnAssign(self, node: Any) -> None:
        if node.value is not None:
            self._assign(node.target, node.value)

    def _assign(self, target: Any, value: Any) -> None:
        if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)):
            if len(target.elements) == len(value.elements):
                for t, v in zip(target.elements, value.elements, strict=True):
                    self._assign(t.value, v.value)
            return
        names = _target_name(target)
        if names is not None:
            self._check(names[0], names[1], value)

    def visit_Dict(self, node: Any) -> None:
        for el in node.elements:
            if isinstance(el, cst.DictElement):
                key = _string_value(el.key)
                if isinstance(key, str):
                    self._check(key, f"the {key!r} entry", el.value)

    def visit_Call(self, node: Any) -> None:
        for arg in node.args:
            if arg.keyword is not None:
                self._check(arg.keyword.value, f"{arg.keyword.value}=", arg.value)

    def visit_Param(self, node: Any) -> None:
        if node.default is not None:
            self._check(node.name.value, f"the default of {node.name.value}", node.default)

    def visit_Comparison(self, node: Any) -> None:
        left = node.left
        for comp in node.comparisons:
            if isinstance(comp.operator, (cst.Equal, cst.NotEqual)):
                for a, b in ((left, comp.comparator), (comp.comparator, left)):
                    names = _target_name(a) if isinstance(a, (cst.Name, cst.Attribute)) else None
                    if names is not None:
                        self._check(names[0], f"a comparison with {names[1]}", b)
            left = comp.comparator

    def visit_SimpleString(self, node: Any) -> None:
        raw = node.value
        if len(raw) < 22:
            return
        low = raw.lower()
        if not (any(t in low for t in VALUE_TOKENS) or self.tokenless):
            return
        value = _string_value(node)
        if not isinstance(value, str):
            return
        verdict = self.kit.assess(value, "none")
        if verdict is not None:
            self.pending.append((node, "string literal", verdict))

    def finish(self) -> None:
        seen: set[int] = set()
        for node, where, verdict in self.pending:
            key = id(node)
            if key in self.kit.claimed or key in seen:
                continue
            if where == "string literal" and key in self.named:
                continue  # judged (and cleared) under its name
            seen.add(key)
            self.kit.claimed.add(key)
            secret = _secret_of(_string_value(node), verdict)
            self.report(node, f"hardcoded {where}: {mask(secret)} ({verdict.what}); read it "
                              f"from the environment or a secret store", secret=secret)


# --------------------------------------------------------------------------- APS103

class SecretEnvFallback(Rule):
    """A secret read from the environment or a settings field falls back to a hardcoded one.

    ## What it does
    Finds `os.getenv("BINANCE_SECRET", "<literal>")`, `os.environ.get(...)`,
    `os.environ.setdefault(...)`, python-decouple / environs readers, `os.getenv(...) or
    "<literal>"`, `config.get("api_secret", "<literal>")`, pydantic
    `Field(default="...")` / `SecretStr("...")` and argparse / click / typer option
    defaults of secret-named settings whose default is a real-looking secret. Empty
    strings and placeholders are fine.

    ## Why is this bad?
    The fallback is a hardcoded secret in disguise: it is committed with the code and
    silently used whenever the variable is missing (a fresh server, a CI job).

    ## Example
    ```python
    API_SECRET = os.getenv("BINANCE_SECRET", "hUCmidAhRtcYVaZYzwUHWgHDT4QeQayRmSK")
    ```

    ## Use instead
    ```python
    API_SECRET = os.environ["BINANCE_SECRET"]  # fail loudly when it is missing
    ```

    ## How to suppress
    `# apisec: ignore[APS103] -- <why>` on the line of the default.
    """

    code = "APS103"
    name = "secret-env-fallback"
    severity = Severity.HIGH
    cwe = 798
    options = _OPTIONS
    VALID = (
        "import os\nAPI_SECRET = os.getenv('EXCHANGE_API_SECRET', '')\n",
        "import os\nAPI_KEY = os.environ.get('BINANCE_API_KEY', 'YOUR_API_KEY')\n",
        "import os\nLEVEL = os.getenv('LOG_LEVEL', 'INFO')\n"
        "HOST = os.getenv('HOST', 'a8Fk2mQ9xL3v')\n",
        "import os\nsecret = os.getenv('API_SECRET') or ''\n",
        "from pydantic import BaseModel, Field\nclass S(BaseModel):\n"
        "    api_secret: str = Field(default='changeme')\n",
    )
    INVALID = (
        Example("import os\nAPI_SECRET = os.getenv('BINANCE_SECRET', "
                f"'{_S64}')\n", lines=(2,)),
        Example("import os\nkey = os.environ.get(\n    'BYBIT_API_KEY',\n"
                f"    '{_BYBIT}',\n)\n", lines=(4,)),
        Example(f"from os import getenv\nDEFAULT = '{_Q32}'\n"
                "secret = getenv('KRAKEN_SECRET', DEFAULT)\n", lines=(2,)),
        Example("import os\npassphrase = os.getenv('OKX_PASSPHRASE') or 'Tr4d1ng!Pass'\n",
                lines=(2,)),
        Example("from pydantic import BaseModel, Field\nclass S(BaseModel):\n"
                f"    api_secret: str = Field(default='{_HEX32}')\n", lines=(3,)),
        Example(f"from pydantic import SecretStr\nk = SecretStr('{_K32}')\n",
                lines=(2,)),
        Example("import argparse\np = argparse.ArgumentParser()\n"
                f"p.add_argument('--api-secret', default='{_K32}')\n", lines=(3,)),
        Example(f"secret = cfg.get('api_secret', '{_K32}')\n", lines=(1,)),
    )

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        return frozenset(t.encode() for t in _secret_tokens())

    @classmethod
    def trigger_groups(cls, knowledge: Knowledge) -> tuple[frozenset[bytes], ...] | None:
        # a secret-ish name or format, and something a default can come from: an env
        # reader or mapping, a settings-default call, or a ``.get(key, default)``
        sources = [e for e in knowledge.section("credential_sources") if e["kind"] == "env"]
        patterns = [p for e in sources for p in (*e.get("calls", ()), *e.get("subscripts", ()))]
        patterns += [p for e in knowledge.section("secret_defaults") for p in e["calls"]]
        tokens = _pattern_tokens(patterns)
        if tokens is None:
            return None
        return (cls.trigger_tokens(knowledge) or frozenset(),
                frozenset(t.encode() for t in tokens | {"get"}))

    def begin(self) -> None:
        self.kit = _kit(self.ctx)
        # every check needs a secret-ish name or a value a detector knows
        self.active = bool(self.kit.secret_names) or any(
            t in self.kit.text_lower for t in DETECTOR_TOKENS)
        self.creds = credentials(self.ctx)
        self.defaults = self.ctx.knowledge.section("secret_defaults")
        knowledge = self.ctx.knowledge
        self.source_gate = _NameGate(
            (p for e in (*[c for c in knowledge.section("credential_sources")
                            if c["kind"] == "env"],
                         *knowledge.section("secret_sources"))
             for p in e.get("calls", ())), text_lower=self.kit.text_lower)
        self.default_gate = _NameGate((p for e in self.defaults for p in e["calls"]),
                                      text_lower=self.kit.text_lower)

    def _binding_name(self, call: Any) -> str | None:
        """The variable / attribute an expression is assigned to in this statement."""
        stmt = self.ctx.statement
        if not isinstance(stmt, cst.SimpleStatementLine):
            return None
        for small in stmt.body:
            if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None and \
                    _in_subtree(call, small.value):
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) \
                    else [small.target]
                for target in targets:
                    names = _target_name(target)
                    if names is not None:
                        return names[0]
        return None

    def _strength(self, *names: str | None) -> NameInfo | None:
        for name in names:
            if name:
                info = classify_name(name)
                if info is not None:
                    return info
        return None

    def _check_default(self, expr: Any, info: NameInfo | None, what: str) -> None:
        for cand in self.ctx.values.candidates(expr, self.ctx.scope):
            if not isinstance(cand, Const) or id(cand.node) in self.kit.claimed:
                continue
            strength = info.strength if info else "none"
            role = info.role if info else ""
            verdict = self.kit.assess(cand.value, strength, role)
            if verdict is None:
                continue
            secret = _secret_of(cand.value, verdict)
            self.kit.claimed.add(id(cand.node))
            self.report(cand.node, f"{what} falls back to a hardcoded {role_label(role)}: "
                                   f"{mask(secret)} ({verdict.what})", secret=secret)

    def visit_Call(self, node: Any) -> None:
        if not self.active or not node.args:
            return
        # a fallback needs a second argument (or a default= keyword)
        found = self.creds.source_call(node) if (
            (len(node.args) >= 2 or node.args[0].keyword is not None)
            and self.source_gate.admits(node)) else None
        if found is not None:
            entry, env_name = found
            if entry.get("default_param") or entry.get("default_position") is not None:
                arg = find_arg(node, entry.get("default_param"), entry.get("default_position"))
                if arg is not None:
                    info = self._strength(env_name, self._binding_name(node))
                    self._check_default(arg.value, info, f"{env_name or 'the variable'}")
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "get" and len(node.args) >= 2:
            key = _string_value(node.args[0].value)
            if isinstance(key, str) and node.args[1].keyword is None:
                info = classify_name(key)
                if info is not None:
                    self._check_default(node.args[1].value, info, f"{key!r}")
            return
        if self.defaults and self.default_gate.admits(node):
            callee = self.ctx.callee(node)
            if not callee:
                return
            for entry in self.defaults:
                if matches_any(callee, entry["calls"]):
                    self._settings_default(node, entry, callee)
                    return

    def _settings_default(self, node: Any, entry: dict[str, Any], callee: str) -> None:
        arg = find_arg(node, entry.get("default_param"), entry.get("default_position"))
        if arg is None:
            return
        if entry.get("always_secret"):
            info: NameInfo | None = NameInfo("strong", "secret")
            name = _short(callee)
        elif entry.get("name_position") is not None:
            flags = [v for a in node.args if a.keyword is None
                     for v in [_string_value(a.value)] if isinstance(v, str)]
            info = self._strength(*flags)
            name = flags[0] if flags else _short(callee)
        else:
            name = self._binding_name(node) or self._param_name(node) or ""
            info = self._strength(name)
        if info is None:
            return
        self._check_default(arg.value, info, f"setting {name}")

    def _param_name(self, call: Any) -> str | None:
        scope = self.ctx.scope
        if isinstance(scope, cst.FunctionDef):
            for param in (*scope.params.params, *scope.params.kwonly_params):
                if param.default is call:
                    return param.name.value
        return None

    def visit_Parameters(self, node: Any) -> None:
        # typer/click-style defaults in a signature: def main(api_key=typer.Option("..."))
        if not self.active:
            return
        for param in (*node.params, *node.kwonly_params):
            if isinstance(param.default, cst.Call) and self.defaults and \
                    self.default_gate.admits(param.default):
                callee = self.ctx.callee(param.default) or ""
                for entry in self.defaults:
                    if callee and matches_any(callee, entry["calls"]) and \
                            entry.get("name_position") is None and not entry.get("always_secret"):
                        arg = find_arg(param.default, entry.get("default_param"),
                                       entry.get("default_position"))
                        info = classify_name(param.name.value)
                        if arg is not None and info is not None:
                            self._check_default(arg.value, info, f"setting {param.name.value}")
                        break

    def visit_BooleanOperation(self, node: Any) -> None:
        if not self.active or not isinstance(node.operator, cst.Or):
            return
        left = node.left
        env_name = None
        if isinstance(left, cst.Call):
            if not self.source_gate.admits(left):
                return
            found = self.creds.source_call(left)
            if found is None or found[0]["kind"] != "env":
                return
            env_name = found[1]
        elif isinstance(left, cst.Subscript):
            if self.creds.source_mapping(left.value) is None:
                return
            if len(left.slice) == 1 and isinstance(left.slice[0].slice, cst.Index):
                key = _string_value(left.slice[0].slice.value)
                env_name = key if isinstance(key, str) else None
        else:
            return
        info = self._strength(env_name, self._binding_name(node))
        self._check_default(node.right, info, f"{env_name or 'the variable'}")


# --------------------------------------------------------------------------- APS104

_SKIP_KWARGS = {"file", "sep", "end", "flush", "exc_info", "stack_info", "stacklevel", "level",
                "chat_id", "parse_mode", "status", "status_code", "mimetype", "content_type",
                "reply_markup", "reply_to_message_id", "disable_notification", "category",
                "colors", "style", "highlight", "markup", "err", "fg", "bg", "bold", "nl"}
_KIND_VERB = {"print": "printed", "log": "logged", "response": "sent in a web response",
              "chat": "sent in a chat message", "route": "returned by a web view",
              "exception": "put in an exception message"}


class CredentialLogged(Rule):
    """A credential is printed, logged, raised in an exception or sent in a response or chat.

    ## What it does
    Follows API keys, secrets, passphrases and tokens -- read from the environment
    (`os.getenv("EXCHANGE_API_SECRET")`), from a config (`cfg["secret"]`), from an SDK
    client (`exchange.secret`) or written as literals -- through names, f-strings,
    `%`/`+`/`.format` formatting and containers into `print`, `logging` / `logger.*`
    (loguru, structlog), `raise SomeError(f"... {secret}")`, web responses (Flask,
    FastAPI, aiohttp, Django, and what a route returns) and chat replies. A config dict
    holding a credential counts too (`print(config)`). Masked forms -- `key[:4]`,
    `bool(secret)`, `len(key)`, `key is None`, `mask(key)` -- are not leaks.

    ## Why is this bad?
    Logs, terminals, error trackers, CI output and chat histories are read by many more
    people than the code -- and kept for a long time. A key in a log line is a leaked key.

    ## Example
    ```python
    log.info("secret loaded: %s", api_secret)
    ```

    ## Use instead
    ```python
    log.info("secret loaded: %s…", api_secret[:4])  # or just: bool(api_secret)
    ```

    ## How to suppress
    `# apisec: ignore[APS104] -- <why>` on the call.
    """

    code = "APS104"
    name = "credential-logged"
    severity = Severity.MEDIUM
    cwe = 532
    VALID = (
        "import logging, os\nlog = logging.getLogger()\nkey = os.environ['API_KEY']\n"
        "log.info('key %s…', key[:4])\nlog.info('present: %s', bool(key))\n"
        "print('length', len(key))\nprint('set' if key else 'missing')\n",
        "import os\nsymbol = os.getenv('SYMBOL')\nprint('trading', symbol)\n",
        "import logging\nlog = logging.getLogger()\ntoken = 'USDT'\nlog.info('token %s', token)\n",
        "import os\nsecret = os.getenv('API_SECRET')\nraise SystemExit('missing secret')\n",
        "import ccxt, os\nex = ccxt.binance({'apiKey': os.getenv('K')})\nprint(ex.id)\n",
        "api_key = ''\nprint(api_key)\n",
    )
    INVALID = (
        Example("import os\napi_key = os.environ.get('EXCHANGE_API_KEY', '')\n"
                "print('starting with key', api_key)\n", lines=(3,)),
        Example("import logging, os\nlog = logging.getLogger('x')\n"
                "api_secret = os.getenv('EXCHANGE_API_SECRET')\n"
                "def f():\n    log.info('secret loaded: %s', api_secret)\n", lines=(5,)),
        Example("import os\nsecret = os.environ['BINANCE_SECRET']\n"
                "def fail(exc):\n    raise SystemExit(f'login failed with {secret}: {exc}')\n",
                lines=(4,)),
        Example("def connect(logger, api_key, api_secret):\n"
                "    logger.debug('connecting with ' + api_secret)\n", lines=(2,)),
        Example("import ccxt, os\n"
                "ex = ccxt.binance({'apiKey': os.getenv('K'), 'secret': os.getenv('S')})\n"
                "print(f'using {ex.secret}')\n", lines=(3,)),
        Example("import os\nconfig = {'apiKey': os.getenv('BINANCE_KEY'),\n"
                "          'secret': os.getenv('BINANCE_SECRET')}\n"
                "print(config)\n", lines=(4,)),
        Example("from flask import Flask, jsonify\nimport os\napp = Flask(__name__)\n"
                "@app.route('/debug')\ndef debug():\n"
                "    return {'key': os.environ['BINANCE_API_KEY']}\n", lines=(6,)),
        Example("import logging\ncfg = load()\nlogging.warning('bad key %s', cfg['api_secret'])\n",
                lines=(3,)),
        Example("import os, telebot\nbot = telebot.TeleBot(os.environ['TG_TOKEN'])\n"
                "def keys(message):\n"
                "    bot.reply_to(message, 'key: ' + os.environ['BINANCE_API_KEY'])\n",
                lines=(4,)),
    )

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        sources = {f for e in knowledge.section("secret_sources")
                   for p in (*e.get("calls", ()), *e.get("subscripts", ()))
                   for f in [_literal_fragment(p)] if f}
        return frozenset(t.encode() for t in _secret_tokens() | sources)

    @classmethod
    def trigger_groups(cls, knowledge: Knowledge) -> tuple[frozenset[bytes], ...] | None:
        # a credential (see trigger_tokens) and a place to leak it: a sink call (by its
        # module or method name), a raise, or a route decorator
        sinks = {"raise"}
        for entry in knowledge.section("leak_sinks"):
            for pattern in entry.get("calls", ()):
                frag = _literal_fragment(pattern)
                if frag is None:
                    return None
                sinks.add(frag)
            sinks.update(m.lower() for m in entry.get("methods", ()))
        return (cls.trigger_tokens(knowledge) or frozenset(),
                frozenset(t.encode() for t in sinks))

    def begin(self) -> None:
        kit = _kit(self.ctx)
        # A credential needs a secret-ish name somewhere (env var, key, variable,
        # client attribute), a format a detector knows, or a keyring/prompt/vault
        # source; a file with none of them cannot leak one (and costs no analysis).
        sources = [f for e in self.ctx.knowledge.section("secret_sources")
                   for p in (*e.get("calls", ()), *e.get("subscripts", ()))
                   for f in [_literal_fragment(p)] if f]
        self.active = bool(kit.secret_names) or any(
            t in kit.text_lower for t in (*VALUE_TOKENS, *sources))
        self.creds = credentials(self.ctx)
        sinks = self.ctx.knowledge.section("leak_sinks")
        self.sinks = [s for s in sinks if s["kind"] != "route"]
        self.routes = [s for s in sinks if s["kind"] == "route"]
        self.route_stack: list[bool] = []
        low = self.ctx.text.lower()
        self.gate = _NameGate((p for e in self.sinks for p in e.get("calls", ())
                               if not (e.get("methods") and p.endswith(".*"))),
                              (m for e in self.sinks for m in e.get("methods", ())), low)
        self.route_gate = _NameGate((p for e in self.routes for p in e.get("calls", ())
                                     if not (e.get("methods") and p.endswith(".*"))),
                                    (m for e in self.routes for m in e.get("methods", ())), low)

    def _sink(self, call: Any) -> tuple[str, str] | None:
        callee: str | None = None
        func = call.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        for entry in self.sinks:
            if entry.get("calls"):
                if callee is None:
                    callee = self.ctx.callee(call) or ""
                if callee and matches_any(callee, entry["calls"]) and (
                        not entry.get("methods") or callee.rsplit(".", 1)[-1] in entry["methods"]):
                    return entry["kind"], callee
            if entry.get("receivers") and method and method in entry.get("methods", ()):
                recv = _attr_key(func.value) if isinstance(func.value, (cst.Name, cst.Attribute)) \
                    else None
                if recv and any(re.search(r, recv) for r in entry["receivers"]):
                    return entry["kind"], f"{recv}.{method}"
        return None

    def visit_Call(self, node: Any) -> None:
        if not self.active or not node.args or not self.gate.admits(node):
            return
        sink = self._sink(node)
        if sink is None:
            return
        kind, callee = sink
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in _SKIP_KWARGS:
                continue
            if kind == "chat" and arg.keyword is None and arg is node.args[0] and \
                    len(node.args) > 1 and callee.endswith(("send_message", ".send_message")):
                continue  # the chat id
            origin = self.creds.origin(arg.value, self.ctx.scope)
            if origin is not None:
                self.report(node, f"{role_label(origin.role)} ({origin.describe()}) "
                                  f"{_KIND_VERB[kind]} by {_short(callee)}(); log a masked "
                                  f"form such as key[:4] or bool(key) instead")
                return

    def visit_Raise(self, node: Any) -> None:
        exc = node.exc
        if not self.active or not isinstance(exc, cst.Call):
            return
        for arg in exc.args:
            origin = self.creds.origin(arg.value, self.ctx.scope)
            if origin is not None:
                self.report(exc, f"{role_label(origin.role)} ({origin.describe()}) "
                                 f"{_KIND_VERB['exception']}; exception messages end up in "
                                 f"logs and error trackers")
                return

    def visit_FunctionDef(self, node: Any) -> None:
        is_route = False
        if self.active and self.routes:
            for dec in node.decorators:
                d = dec.decorator
                if isinstance(d, cst.Call) and self.route_gate.admits(d):
                    callee = self.ctx.callee(d) or ""
                    if callee and any(matches_any(callee, e.get("calls", ())) and
                                      callee.rsplit(".", 1)[-1] in e.get("methods", ())
                                      for e in self.routes):
                        is_route = True
                        break
        self.route_stack.append(is_route)

    def leave_FunctionDef(self, node: Any) -> None:
        self.route_stack.pop()

    def visit_Return(self, node: Any) -> None:
        if not self.active or not self.route_stack or not self.route_stack[-1] or \
                node.value is None:
            return
        origin = self.creds.origin(node.value, self.ctx.scope)
        if origin is not None:
            self.report(node.value, f"{role_label(origin.role)} ({origin.describe()}) "
                                    f"{_KIND_VERB['route']}")


# --------------------------------------------------------------------------- APS105

_CREDENTIAL_PARENTS = {"exchange", "exchanges", "credentials", "credential", "creds", "api",
                       "apis", "auth", "keys", "account", "accounts", "wallet", "wallets",
                       "broker", "brokers", "secrets", "telegram", "discord", "slack", "bot"}


class SecretInConfigFile(Rule):
    """A committed config file (.env, JSON, YAML, TOML, INI) holds a real-looking secret.

    ## What it does
    Reads every entry of the file with its key path and judges the value alone: secret-ish
    keys (`BINANCE_API_SECRET=`, `"secret":`, freqtrade's `exchange.key` /
    `exchange.secret` / `exchange.password`, `api_key =`) need a credential-like value;
    keys such as `key` or `token` need a random-looking one (or sit under an exchange or
    credentials table); detect-secrets' format plugins (AWS, private keys, JWT, Telegram,
    Discord, Slack, Stripe tokens...) count under any key. Placeholders, `${VAR}`
    templates, empty values and secret-manager references are fine. The finding is
    reported on the value's line.

    ## Why is this bad?
    Config files are committed, copied into Docker images and shared in bug reports; a key
    in one is as public as a key in code.

    ## Example
    ```ini
    BITGET_API_SECRET=60dc60b4350ff85708349f3bfc469cc5512f94513d9b21afc68577ab71c8ff71
    ```

    ## Use instead
    ```ini
    BITGET_API_SECRET=        # set it in the deployment's environment, keep .env untracked
    ```

    ## Options
    `placeholder-patterns`: extra regexes for project-specific placeholders.

    ## How to suppress
    Add the file to `.gitignore` and stop tracking it; for a deliberate sample value use
    a placeholder. Comment suppressions (`# apisec: ignore[APS105]`) work in formats with
    comments.
    """

    code = "APS105"
    name = "secret-in-config-file"
    severity = Severity.HIGH
    cwe = 260
    kinds = CONFIG_KINDS
    options = _OPTIONS
    VALID = (
        Example("BITGET_API_KEY=\nCOINBASE_API_KEY=your-api-key-here\nPOLL_INTERVAL=10\n",
                filename=".env"),
        Example('{"exchange": {"key": "${BINANCE_KEY}", "secret": "",\n'
                ' "password": "<passphrase>"}}\n',
                filename="config.json"),
        Example("kucoin:\n  key: changeme\n  secret: ${KUCOIN_SECRET}\n",
                filename="exchanges.yaml"),
        Example("[exchange]\napi_key = \"YOUR_API_KEY\"\npairs = [\"BTC/USDT\"]\n",
                filename="settings.toml"),
        Example("[db]\npassword =\nhost = localhost\n", filename="setup.cfg"),
        Example('{"key": "BTC/USDT", "token": "USDT", "id": "a8Fk2mQ9xL3vT7pW1zR5"}\n',
                filename="pairs.json"),
    )
    INVALID = (
        Example(f"# bot\nBITGET_API_KEY={_BITGET}\n", filename=".env",
                lines=(2,)),
        Example('{\n  "exchange": {\n    "name": "binance",\n'
                f'    "key": "{_H64}"\n  }}\n}}\n',
                filename="config.json", lines=(4,)),
        Example(f"kucoin:\n  key: \"{_KUCOIN2}\"\n", filename="exchanges.yaml",
                lines=(2,)),
        Example(f"[exchange]\nid = \"bitget\"\napi_secret = \"{_HEX64B}\"\n",
                filename="settings.toml", lines=(3,)),
        Example("[okx]\npassphrase = Tr4d1ng!Pass\n", filename="bot.ini", lines=(2,)),
        Example(f"telegram:\n  chat: {_TG}\n",
                filename="telegram.yaml", lines=(2,)),
    )

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        return frozenset(t.encode() for t in _secret_tokens())

    def check_file(self) -> None:
        kit = _kit(self.ctx)
        doc = config_doc(self.ctx)
        if self.ctx.kind in (FileKind.JSON, FileKind.YAML, FileKind.TOML):
            tree = doc.tree
            if tree is not None and not self._worth_scanning(tree, kit):
                return
        parents = _CREDENTIAL_PARENTS | self._exchange_ids()
        for entry in doc.entries:
            value = entry.value
            if isinstance(value, bool) or value is None:
                continue
            name = entry.key
            info = classify_name(name) if name else None
            if info is not None and info.strength == "weak" and any(
                    isinstance(p, str) and (p.lower() in parents or classify_name(p))
                    for p in entry.path[:-1]):
                info = NameInfo("strong", info.role)
            if isinstance(value, (int, float)):
                if not (info and info.strength == "strong" and
                        info.role in ("password", "passphrase") and len(str(value)) >= 6):
                    continue
                value = str(value)
            if not isinstance(value, str):
                continue
            verdict = kit.assess(value, info.strength if info else "none",
                                 info.role if info else "", name)
            if verdict is None:
                continue
            label = role_label(info.role) if info else verdict.what
            secret = _secret_of(value, verdict)
            self.ctx.report_span(self, entry.span,
                                 f"{label} committed in {entry.dotted() or 'this file'}: "
                                 f"{mask(secret)} ({verdict.what}); keep secrets out of "
                                 f"tracked config files", secret=secret)

    def _exchange_ids(self) -> set[str]:
        ids = set()
        for section in ("clients", "key_shapes"):
            for entry in self.ctx.knowledge.section(section):
                if entry.get("exchange"):
                    ids.add(entry["exchange"].lower())
        return ids

    @staticmethod
    def _worth_scanning(tree: Any, kit: _Kit) -> bool:
        """Cheap check on the parsed data before positions are computed: any
        secret-ish key, or any string a format plugin could match."""
        for path, value in iter_strings(tree):
            for part in path:
                if isinstance(part, str) and classify_name(part):
                    return True
            low = value.lower()
            if len(value) >= 20 and (any(t in low for t in VALUE_TOKENS) or
                                     any(t in kit.text_lower for t in FILE_ONLY_TOKENS)):
                return True
        return False


# --------------------------------------------------------------------------- APS106

_COMMENT_NAME_RE = re.compile(r"[A-Za-z_][\w.\-]*")
_COMMENT_VALUE_RE = re.compile(r"""[^\s"',;)}\]]{1,512}""")


def _pairs_in_comment(text: str) -> Iterable[tuple[str, str, int]]:
    """``(name, value, value offset)`` for each ``name = value`` / ``"name": "value"`` in
    a comment. Every name is tried, so ``key: apiKey: '...'`` yields both pairs; the
    scan is linear (values are bounded, names found once)."""
    n = len(text)
    for m in _COMMENT_NAME_RE.finditer(text):
        i = m.end()
        if i < n and text[i] in "\"'":
            i += 1
        while i < n and text[i] in " \t":
            i += 1
        if i >= n or text[i] not in "=:":
            continue
        i += 1
        while i < n and text[i] in " \t":
            i += 1
        quote = text[i] if i < n and text[i] in "\"'" else ""
        if quote:
            i += 1
        v = _COMMENT_VALUE_RE.match(text, i)
        if v is None or (quote and not text.startswith(quote, v.end())):
            continue
        yield m.group(0), v.group(0), i
_QUOTED_RE = re.compile(r"""(["'])(?P<val>[^"'\s]{16,})\1""")


class CommentedOutSecret(Rule):
    """A comment holds a real-looking secret (a commented-out key or client construction).

    ## What it does
    Reads comments of Python files (and of .env, YAML, TOML and INI files) for
    `name = value` / `name: value` pairs with secret-ish names, quoted random strings in
    commented-out SDK client calls (`# client = Client("…", "…")`), and detect-secrets
    format plugins (AWS keys, tokens). Values are judged like APS102's.

    ## Why is this bad?
    Commenting a key out does not remove it: it is still committed and readable. Old
    keys are often still valid.

    ## Example
    ```python
    # API_SECRET = "hUCmidAhRtcYVaZYzwUHWgHDT4QeQayRmSKvarOzK8UyQPCvRysvT6QjrfZ9uaUN"
    API_SECRET = os.environ["API_SECRET"]
    ```

    ## Use instead
    ```python
    API_SECRET = os.environ["API_SECRET"]  # and rotate the key that was in the comment
    ```

    ## How to suppress
    `# apisec: ignore[APS106] -- <why>` on the comment's line.
    """

    code = "APS106"
    name = "commented-out-secret"
    severity = Severity.LOW
    cwe = 798
    kinds = frozenset({FileKind.PYTHON, FileKind.ENV, FileKind.YAML, FileKind.TOML, FileKind.INI})
    options = _OPTIONS
    VALID = (
        "# API_KEY = 'YOUR_API_KEY'\n# set BINANCE_SECRET in your shell\nx = 1\n",
        "# the secret is read from the environment: os.environ['API_SECRET']\nx = 1\n",
        "s = '# api_key = hXc7Pq2LmN9vR4tY8wZ1aB3dE5fG6hJ0'\n",
        "# sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'\nx = 1\n",
        Example("# BINANCE_API_KEY=\nBINANCE_API_KEY=\n", filename=".env"),
    )
    INVALID = (
        Example(f"import os\n# API_SECRET = '{_S64}'\n"
                "API_SECRET = os.environ['API_SECRET']\n", lines=(2,)),
        Example("from binance.client import Client\n"
                f"# client = Client('{_H64}', s)\n"
                "client = Client(k, s)\n", lines=(2,)),
        Example(f"x = 1  # old key: apiKey: '{_Q32}'\n", lines=(1,)),
        Example(f"# BITGET_API_SECRET={_HEX64}\n"
                "BITGET_API_SECRET=\n", filename=".env", lines=(1,)),
    )

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        return frozenset(t.encode() for t in _secret_tokens() | cls._client_roots(knowledge))

    @staticmethod
    def _client_roots(knowledge: Knowledge) -> set[str]:
        """The root modules of the clients the packs know (``binance``, ``telebot``)."""
        patterns = [p for e in knowledge.section("clients") for p in e["match"]]
        patterns += [p for e in knowledge.section("secret_params") for p in e["calls"]]
        return {f for p in patterns for f in [_literal_fragment(p)] if f}

    @staticmethod
    def _constructor_names(knowledge: Knowledge) -> set[str]:
        """Lowercase last names of client constructors (``client``, ``umfutures``)."""
        names = set()
        for entry in knowledge.section("clients"):
            for pattern in entry["match"]:
                last = pattern.rsplit(".", 1)[-1]
                piece = max(re.split(r"\*+|\[[^\]]*\]", last), key=len)
                if piece:
                    names.add(piece.lower())
        for entry in knowledge.section("secret_params"):
            for pattern in entry["calls"]:
                last = pattern.rsplit(".", 1)[-1].strip("*")
                if last:
                    names.add(last.lower())
        return names

    def begin(self) -> None:
        self._scan()

    def check_file(self) -> None:
        self._scan()

    def _scan(self) -> None:
        kit = _kit(self.ctx)
        # commented-out client calls count in files that use a client library
        roots = self._client_roots(self.ctx.knowledge)
        ctors = self._constructor_names(self.ctx.knowledge) if any(
            r in kit.text_lower for r in roots) else set()
        for line, col, text in self._comments(kit, ctors):
            for found in self._findings(kit, ctors, line, col, text):
                self._report(*found)

    def _comments(self, kit: _Kit, ctors: set[str]) -> list[tuple[int, int, str]]:
        """(line, 1-based column of the text after the marker, text) of the comments
        worth reading."""
        text = self.ctx.text
        if self.ctx.kind is not FileKind.PYTHON:
            marks = ("#", ";") if self.ctx.kind is FileKind.INI else ("#",)
            out = []
            for i, line in enumerate(text.splitlines(), start=1):
                stripped = line.lstrip()
                if stripped[:1] in marks:
                    col = len(line) - len(stripped) + 2
                    out.append((i, col, stripped[1:]))
            return out
        # Python: judge the text after each line's first "#" first (a superset of the
        # comments), and tokenize the file only when some line would give a finding.
        wanted = set()
        for i, line in enumerate(text.splitlines(), start=1):
            j = line.find("#")
            if j >= 0 and self._findings(kit, ctors, i, j + 2, line[j + 1:]):
                wanted.add(i)
        if not wanted:
            return []
        out = []
        try:
            for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                if tok.type == tokenize.COMMENT and tok.start[0] in wanted:
                    out.append((tok.start[0], tok.start[1] + 2, tok.string[1:]))
        except (tokenize.TokenError, IndentationError, SyntaxError):
            return out
        return out

    def _findings(self, kit: _Kit, ctors: set[str], line: int, col: int,
                  text: str) -> list[tuple[int, int, str, Verdict, str]]:
        """What the comment ``text`` (starting at ``col``) would report."""
        low = text.lower()
        named = any(w in low for w in SECRET_WORDS)
        coded = bool(ctors) and "(" in text and any(c in low for c in ctors)
        if not (named or coded or any(t in low for t in DETECTOR_TOKENS)):
            return []
        if named:
            for dotted, value, offset in _pairs_in_comment(text):
                name = dotted.rsplit(".", 1)[-1]
                info = classify_name(name)
                if info is None:
                    continue
                verdict = kit.assess(value, info.strength, info.role, name)
                if verdict is not None:
                    return [(line, col + offset, value, verdict, role_label(info.role))]
        if coded:
            for m in _QUOTED_RE.finditer(text):
                value = m.group("val")
                verdict = kit.assess(value, "weak", "")
                if verdict is not None:
                    return [(line, col + m.start("val"), value, verdict, "credential")]
        verdict = kit.assess(text.strip(), "none")
        if verdict is not None:
            secret = _secret_of(text.strip(), verdict)
            return [(line, col + max(text.find(secret), 0), secret, verdict, "credential")]
        return []

    def _report(self, line: int, col: int, value: str, verdict: Verdict, label: str) -> None:
        secret = _secret_of(value, verdict)
        self.ctx.report_span(self, Span(line, col, line, col + len(secret)),
                             f"{label} left in a comment: {mask(secret)} ({verdict.what}); "
                             f"delete it and rotate the key", secret=secret)


RULES = [HardcodedCredential, SecretNamedLiteral, SecretEnvFallback, CredentialLogged,
         SecretInConfigFile, CommentedOutSecret]

# Role names the origin analysis treats as credentials (re-exported for plugins).
__all__ = ["CREDENTIAL_ROLES", "RULES"]
