"""Secret values: is this name secret-ish, is this string a credential, and masking.

The credential rules isolate a value first (a literal in the CST, a config-file entry)
and only then ask this module about it, never about a raw source line. That is what
keeps hex fragments of ordinary code out of the findings: detect-secrets' entropy
measures, heuristic filters and regex plugins are applied to one isolated string.

Three questions, three functions:

* :func:`classify_name` -- does a variable / key / parameter name say "this holds a
  secret"? ``strong`` names (``api_secret``, ``apiKey``, ``passphrase``) need a
  credential-like value; ``weak`` ones (``key``, ``token``, ``auth``) need a value
  that looks random or matches a known secret format.
* :func:`is_placeholder` -- ``""``, ``"YOUR_API_KEY"``, ``"<secret>"``, ``${VAR}``,
  env-var names, ``"xxxx"``, ``"changeme"``...
* :func:`assess` -- given the value and how strongly its position implies a secret,
  a :class:`Verdict` (what it looks like) or None.

No output ever prints a full secret: reporters, baseline and cache only ever see what
:func:`mask` returns.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from apisec_lint._lazy import lazy_re


def mask(value: str) -> str:
    """``"AbCd…(64 chars)"``: at most the first 4 characters and the length.

    Short values (under 12 characters) show only their first character, so a short
    password is not mostly revealed."""
    shown = value[:4] if len(value) >= 12 else value[:1]
    return f"{shown}…({len(value)} chars)"


# --------------------------------------------------------------------------- names

#: Lowercase substrings one of which every secret-ish name contains. Rules use them as
#: prefilter tokens, so :func:`classify_name` must never accept a name without one
#: (tests/test_credentials.py checks this).
SECRET_WORDS: tuple[str, ...] = (
    "key", "secret", "token", "passw", "passphrase", "pwd", "_pass", "pass_", "auth",
    "credential", "creds", "private", "mnemonic", "seed", "webhook", "twofa", "totp",
)

# Compound words written without a separator ("apikey", "x-mbx-apikey").
_COMPOUNDS = {
    "apikey": ("api", "key"), "apisecret": ("api", "secret"), "apitoken": ("api", "token"),
    "secretkey": ("secret", "key"), "privatekey": ("private", "key"),
    "privkey": ("private", "key"), "accesskey": ("access", "key"),
    "accesstoken": ("access", "token"), "authtoken": ("auth", "token"),
    "authkey": ("auth", "key"), "bottoken": ("bot", "token"),
    "authorization": ("auth",), "passphrase": ("passphrase",), "passwd": ("password",),
    "pwd": ("password",), "passcode": ("password",), "pw": ("password",),
    "webhookurl": ("webhook", "url"), "seedphrase": ("seed", "phrase"),
    "signingkey": ("signing", "key"), "clientsecret": ("client", "secret"),
    "hmackey": ("hmac", "key"), "sessiontoken": ("session", "token"),
    "refreshtoken": ("refresh", "token"), "idtoken": ("id", "token"),
    "tgtoken": ("tg", "token"), "credentials": ("credential",), "creds": ("credential",),
    "secrets": ("secret",), "twofa": ("twofa",), "totp": ("twofa",), "mnemonics": ("mnemonic",),
}

_STRONG_WORDS = {
    "secret": "secret", "passphrase": "passphrase", "password": "password",
    "mnemonic": "mnemonic", "credential": "secret", "twofa": "secret",
}
_KEY_QUALIFIERS = {
    "api", "secret", "private", "priv", "access", "auth", "signing", "sign", "client",
    "account", "service", "master", "encryption", "hmac", "app", "consumer", "trading",
    "exchange", "bot", "rest", "ssh", "license", "decryption", "jwt", "wallet",
}
_TOKEN_QUALIFIERS = {
    "api", "auth", "access", "bot", "refresh", "bearer", "session", "discord", "telegram",
    "tg", "slack", "github", "gh", "gitlab", "webhook", "jwt", "oauth", "client", "secret",
    "private", "personal", "hf", "huggingface", "openai", "notion", "sentry", "pushover",
    "twilio", "app", "id", "csrf", "security", "user", "login",
}
# A name ending with one of these holds something about a secret, not the secret.
_EXCLUDE_LAST = {
    "path", "paths", "file", "filename", "files", "dir", "directory", "folder", "url", "uri",
    "urls", "endpoint", "host", "env", "environ", "var", "variable", "name", "names", "id",
    "ids", "type", "types", "kind", "header", "headers", "field", "fields", "param",
    "params", "prefix", "suffix", "len", "length", "size", "format", "fmt", "regex", "re",
    "pattern", "hash", "hashed", "digest", "address", "addr", "symbol", "symbols", "amount",
    "amt", "price", "decimals", "decimal", "contract", "mint", "balance", "count", "num",
    "number", "limit", "limits", "expiry", "expires", "expire", "expiration", "ttl",
    "timeout", "time", "timestamp", "ts", "date", "index", "idx", "label", "title", "text",
    "prompt", "message", "msg", "help", "description", "desc", "hint", "placeholder",
    "example", "template", "mask", "masked", "required", "enabled", "valid", "location",
    "loc", "store", "storage", "manager", "provider", "source", "src", "reader", "getter",
    "setter", "input", "button", "widget", "mode", "policy", "version", "alias", "ref",
    "arn", "column", "col", "attr", "attribute", "method", "func", "function", "callback",
    "handler", "class", "cls", "module", "pkg", "package", "list", "dict", "map", "set",
    "cache", "option", "options", "flag", "flags", "error", "errors", "exception", "status",
    "state", "check", "checker", "validator", "min", "max", "lookup", "rotation", "encoding",
    "algorithm", "algo", "scheme", "strength", "rule", "rules", "bits", "schema",
    "form", "db", "table", "permissions", "permission", "scope", "scopes",
    "owner", "user", "username", "login", "email", "account", "phrase_words", "lifetime",
    "age", "delay", "interval", "server", "service", "client", "pair", "pairs",
    "tokens", "keys", "counter", "rate", "fee", "fees", "supply", "info",
}
# A name with one of these words anywhere is not a secret holder.
_EXCLUDE_ANY = {
    "public", "pub", "pubkey", "sort", "primary", "foreign", "partition", "hotkey",
    "keyboard", "tokenizer", "tokenize", "is", "has", "use", "should", "enable", "disable",
    "require", "show", "hide", "without", "idempotency", "dedup", "dedupe", "unique",
    "cursor", "pagination", "page", "continuation", "keycode", "keypad", "keystroke",
    "max", "min", "num", "n", "reset", "forgot", "redis", "s3", "bucket", "blob", "object",
    "cache", "lookup", "group", "shard", "composite", "surrogate", "natural", "translation",
    "i18n", "react", "memo", "lock", "metric", "event", "signal", "task", "job", "queue",
    "route", "host", "node", "item", "entry", "element", "row", "column", "dict", "map",
    "json", "yaml", "cookie", "csv", "tmp", "temp", "gpg", "pgp", "encrypted", "hashed",
    "salt", "nonce", "quote", "base", "native", "wrapped", "erc20", "spl", "bep20", "in",
    "out", "pool", "swap", "mint", "decimals", "contract", "usdt", "usdc", "weth",
}
# Words that make "key" an identifier (``sort_key``, ``group_key``): only checked right
# before "key".
_KEY_NON_SECRET = {
    "sort", "primary", "foreign", "partition", "cache", "redis", "s3", "object", "bucket",
    "blob", "idempotency", "dedup", "unique", "cursor", "page", "next", "group", "lookup",
    "map", "dict", "hot", "row", "column", "col", "index", "field", "attr", "attribute",
    "json", "yaml", "config", "translation", "i18n", "message", "msg", "state", "store",
    "storage", "memo", "react", "composite", "natural", "surrogate", "public", "pub", "node",
    "item", "entry", "element", "event", "metric", "signal", "task", "job", "queue", "lock",
    "session", "cookie", "template", "route", "url", "path", "file", "order", "shard",
    "prefix", "name", "label", "host", "ws", "stream", "listen", "sub", "channel",
    "dataset", "data", "table", "db", "schema", "query", "param", "header",
    "symbol", "pair", "market", "ticker", "price", "book", "trade", "position", "candle",
    "kline", "timeframe", "interval", "asset", "coin", "currency", "chain", "network",
    "result", "response", "request", "tag", "type", "mode", "setting", "option",
}

_CAMEL_RE = lazy_re(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SPLIT_RE = lazy_re(r"[^A-Za-z0-9]+")


def name_words(name: str) -> list[str]:
    """``"X-MBX-APIKEY"`` -> ``["x", "mbx", "api", "key"]``; camelCase and compounds split."""
    words: list[str] = []
    for part in _SPLIT_RE.split(name):
        for match in _CAMEL_RE.finditer(part):
            word = match.group(0).lower()
            words.extend(_COMPOUNDS.get(word, (word,)))
    return words


@dataclass(frozen=True)
class NameInfo:
    """What a name says about its value: ``strength`` is ``"strong"`` (the name alone
    says secret) or ``"weak"`` (only a random-looking value makes it one); ``role`` is
    key, secret, passphrase, password, token, private_key, mnemonic or webhook."""

    strength: str
    role: str


@lru_cache(maxsize=8192)
def classify_name(name: str) -> NameInfo | None:
    """Whether ``name`` (a variable, attribute, dict key, parameter or env-var name)
    suggests that it holds a credential, and which kind."""
    if not name or len(name) > 120:
        return None
    low = name.lower()
    if not any(w in low for w in SECRET_WORDS):
        return None
    words = name_words(name)
    if not words:
        return None
    last = words[-1]
    if "webhook" in words and last in ("webhook", "url", "uri", "hook") and \
            not any(w in _EXCLUDE_ANY for w in words):
        return NameInfo("strong", "webhook")  # a webhook URL carries its token
    if last in _EXCLUDE_LAST or any(w in _EXCLUDE_ANY for w in words):
        return None
    found: NameInfo | None = None
    for i, word in enumerate(words):
        prev = words[i - 1] if i else ""
        if word in _STRONG_WORDS:
            role = _STRONG_WORDS[word]
            if word == "secret" and i + 1 < len(words) and words[i + 1] == "key":
                role = "secret"
            return NameInfo("strong", role)
        if word == "pass" and ("_pass" in low or "pass_" in low):
            return NameInfo("strong", "password")
        if word == "key":
            if prev in _KEY_NON_SECRET:
                continue
            if prev in _KEY_QUALIFIERS:
                role = "private_key" if prev in ("private", "priv", "signing", "sign",
                                                 "wallet", "ssh", "decryption") else "key"
                return NameInfo("strong", role)
            found = found or NameInfo("weak", "key")
        elif word == "token":
            if prev in _TOKEN_QUALIFIERS:
                return NameInfo("strong", "token")
            found = found or NameInfo("weak", "token")
        elif word == "auth" and i == len(words) - 1:
            found = found or NameInfo("weak", "token")
        elif word == "seed":
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if nxt in ("phrase", "words", "mnemonic"):
                return NameInfo("strong", "mnemonic")
            found = found or NameInfo("weak", "mnemonic")
        elif word == "webhook":
            found = NameInfo("strong", "webhook")
    return found


# --------------------------------------------------------------------------- placeholders

_TEMPLATE_RES = [lazy_re(p, re.IGNORECASE | re.DOTALL) for p in (
    r"\$\{.*\}", r"\$\(.*\)", r"\$[A-Za-z_][A-Za-z0-9_]*", r"\{\{.*\}\}", r"<.*>", r"\{.*\}",
    r"%\(.*\)[sdr]", r"%[A-Za-z_][A-Za-z0-9_]*%", r"ENC\[.*\]", r"!\w+.*",
    r"(op|vault|secret|secrets|aws-sm|awssm|ssm|gcp-sm|sm|env|file|keyring|bws|doppler)://.*",
    r"arn:aws:.*", r"projects/[^/]+/secrets/.*", r"\[.*\]", r"\(.*\)",
)]
_ENV_NAME_RE = lazy_re(r"(?<![A-Z0-9_])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_VOCAB = sorted({
    "your", "yours", "our", "the", "insert", "enter", "put", "paste", "add", "replace",
    "change", "changeme", "fill", "here", "goes", "example", "examples", "sample", "dummy",
    "fake", "mock", "test", "testing", "tests", "demo", "placeholder", "todo", "fixme",
    "none", "null", "nil", "undefined", "empty", "value", "string", "default", "xxx",
    "redacted", "hidden", "removed", "masked", "secret", "secrets", "password", "passwd",
    "pass", "passphrase", "phrase", "key", "keys", "api", "apikey", "token", "private",
    "public", "access", "auth", "account", "user", "username", "login", "bot", "client",
    "app", "not", "real", "valid", "invalid", "something", "anything", "random",
    "generated", "foo", "bar", "baz", "qux", "abc", "xyz", "qwerty", "asdf", "hello",
    "world", "admin", "root", "guest", "letmein", "welcome", "exchange", "trading",
    "trade", "live", "prod", "production", "dev", "development", "staging", "sandbox",
    "testnet", "futures", "spot", "webhook", "hook", "telegram", "discord", "slack", "chat",
    "channel", "binance", "bybit", "okx", "kucoin", "kraken", "bitget", "coinbase", "gate",
    "mexc", "huobi", "bitfinex", "bitmex", "deribit", "ccxt", "wallet", "seed", "mnemonic",
    "words", "word", "new", "old", "set", "get", "use", "local", "config", "env", "from",
    "with", "for", "and", "this", "that", "some", "own", "mine", "dont", "commit", "never",
    "sk", "pk", "id", "my", "required", "optional", "missing", "unset", "blank", "sign",
    "signing", "credential", "credentials", "creds", "uid", "memo", "bearer", "basic",
    "super", "secure", "strong", "long", "complex", "very", "hard", "safe", "simple",
    "somethingrandom", "insecure",
    # default passwords of development databases and brokers (docker-compose files)
    "postgres", "postgresql", "mysql", "mariadb", "redis", "rabbitmq", "mongo", "mongodb",
})
_VOCAB_RE = lazy_re("|".join(sorted((w for w in _VOCAB if len(w) >= 3), key=len, reverse=True)))
_VOCAB_SHORT = frozenset(w for w in _VOCAB if len(w) == 2)
_TRUNCATED = ("...", "…")


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _vocab_coverage(value: str) -> float:
    low = value.lower()
    letters = sum(c.isalpha() for c in low)
    if not letters:
        return 0.0
    covered = 0
    for word in re.findall(r"[a-z]+", low):
        if word in _VOCAB_SHORT:
            covered += 2
            continue
        if len(word) < 3:
            continue
        pos = 0
        while pos < len(word):
            m = _VOCAB_RE.match(word, pos)
            if m:
                covered += len(m.group(0))
                pos = m.end()
            else:
                pos += 1
    return covered / letters


@lru_cache(maxsize=256)
def _compile_extra(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    out = []
    for p in patterns:
        try:
            out.append(re.compile(p, re.IGNORECASE))
        except re.error:
            continue  # validated where the patterns are loaded; never crash a scan
    return tuple(out)


def is_placeholder(value: str, name: str | None = None,
                   extra: Sequence[str] = ()) -> bool:
    """True for values that stand in for a secret: empty, templates (``${VAR}``,
    ``<secret>``, ``{{ x }}``), secret-manager references, env-var names, repeated or
    sequential characters, truncated (``sk-...``), prose, words such as
    ``your_api_key_here`` / ``changeme``, the name itself, and ``extra`` regexes."""
    v = value.strip()
    if len(v) < 4:
        return True
    if any(p.fullmatch(v) for p in _compile_extra(tuple(extra))):
        return True
    if any(p.fullmatch(v) for p in _TEMPLATE_RES):
        return True
    if any(t in v for t in _TRUNCATED):
        return True
    if len(set(v.lower())) <= 2 or (len(set(v.lower())) <= 3 and len(v) >= 8):
        return True
    if _is_sequential(v):
        return True
    if _ENV_NAME_RE.fullmatch(v):
        return True
    if name and _normal(v) and _normal(v) == _normal(name):
        return True
    if re.search(r"\s", v) and len(re.findall(r"[A-Za-z]{2,}", v)) >= 2:
        return True  # prose: "Enter your api key", "put key here"
    return _vocab_coverage(v) >= 0.6


def _is_sequential(value: str) -> bool:
    try:
        from detect_secrets.filters.heuristic import is_sequential_string
    except ImportError:  # pragma: no cover - detect-secrets is a dependency
        return False
    return bool(is_sequential_string(value))


# --------------------------------------------------------------------------- measures

_B64_CHARS = string.ascii_letters + string.digits + "+/\\-_="
_B64_SET = frozenset(_B64_CHARS)
_HEX_SET = frozenset(string.hexdigits)
_TOKENISH_RE = lazy_re(r"[A-Za-z0-9+/=_\-.:~]+")
_UUID_RE = lazy_re(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                      re.IGNORECASE)
_EVM_ADDRESS_RE = lazy_re(r"0x[0-9a-fA-F]{40}")
_EVM_PRIVATE_RE = lazy_re(r"(0x)?[0-9a-fA-F]{64}")
_BASE58_ADDRESS_RE = lazy_re(r"[1-9A-HJ-NP-Za-km-z]{32,44}")
_PATH_EXT_RE = lazy_re(r"\.(pem|key|json|txt|env|cfg|ini|ya?ml|toml|p12|pfx|crt|cer|der|"
                          r"pub|gpg|asc|csv|log|py|sh|db|sqlite|jks|keystore)$", re.IGNORECASE)
_AUTH_SCHEME_RE = lazy_re(r"^(bearer|token|basic|bot|apikey|key)\s+", re.IGNORECASE)


def shannon_entropy(value: str) -> float:
    """detect-secrets' Shannon entropy: hex measure for hex strings (with its penalty
    for all-digit strings), base64 measure otherwise."""
    from detect_secrets.plugins.high_entropy_strings import (
        Base64HighEntropyString,
        HexHighEntropyString,
    )

    if value and all(c in _HEX_SET for c in value):
        return float(_hex_plugin(HexHighEntropyString).calculate_shannon_entropy(value))
    return float(_b64_plugin(Base64HighEntropyString).calculate_shannon_entropy(value))


@lru_cache(maxsize=1)
def _hex_plugin(cls: Any) -> Any:
    return cls()


@lru_cache(maxsize=1)
def _b64_plugin(cls: Any) -> Any:
    return cls()


def _entropy_limit(value: str) -> float:
    """detect-secrets' limits (hex 3.0, base64 4.5) are tuned for long strings; a
    random string of n characters cannot exceed log2(n), so short keys get a limit
    scaled to their length."""
    n = len(value)
    if all(c in _HEX_SET for c in value):
        return min(3.0, math.log2(n) * 0.72)
    return min(4.5, math.log2(n) * 0.83)


def _classes(value: str) -> int:
    return sum((any(c.islower() for c in value), any(c.isupper() for c in value),
                any(c.isdigit() for c in value)))


_WORD_RUN_RE = lazy_re(r"[A-Z][a-z]{2,}|[a-z]{3,}|[A-Z]{3,}(?![a-z])")


def is_wordy(value: str) -> bool:
    """Mostly made of words or tickers (``user_2024_data_export``, ``ThisIsNotASecret1``,
    ``BTCUSDT_PERP``): runs of letters cover most of it and read like language (vowels
    between consonants), which random keys do not. Hex strings are judged by their own
    entropy instead."""
    if not value or all(c in _HEX_SET for c in value):
        return False
    runs = _WORD_RUN_RE.findall(value)
    letters = sum(len(r) for r in runs)
    if letters / len(value) < 0.5:
        return False
    if not any(c.islower() for c in value):
        # tickers and constants: "BTCUSDT_PERP", "ETHUSDT240628"
        return len(runs) <= 3
    # CamelCase words start a run with their capital; random text has stray capitals
    stray = sum(1 for i, c in enumerate(value) if c.isupper() and
                not (i + 1 < len(value) and value[i + 1].islower()))
    if stray > 1:
        return False
    lower_runs = [r.lower() for r in runs if not r.isupper()]
    text = "".join(lower_runs)
    if len(text) / len(value) < 0.6:
        return False
    vowels = sum(c in "aeiouy" for c in text)
    # random letters bunch consonants together: "xkqz" is rare in words
    clusters = sum(len(m) for m in re.findall(r"[^aeiouy]{4,}", text))
    return vowels / len(text) >= 0.3 and clusters / len(text) < 0.15


def is_random(value: str, min_length: int = 16) -> bool:
    """A token-shaped string (base64/hex alphabet, no spaces) that is long and random
    enough to be a key: letters and digits mixed, entropy above detect-secrets' limit
    scaled to the length."""
    v = value
    if len(v) < min_length or not _TOKENISH_RE.fullmatch(v):
        return False
    core = re.sub(r"[^A-Za-z0-9+/=_\-]", "", v)
    if len(core) < min_length:
        return False
    has_digit = any(c.isdigit() for c in core)
    has_alpha = any(c.isalpha() for c in core)
    if not (has_alpha and (has_digit or _classes(core) >= 2)):
        return False
    if all(c in _HEX_SET for c in core):
        if not has_digit or not has_alpha:
            return False
    elif _classes(core) < 2 or is_wordy(core):
        return False
    return shannon_entropy(core) > _entropy_limit(core)


def is_uuid(value: str) -> bool:
    return bool(_UUID_RE.fullmatch(value.strip()))


def is_mnemonic(value: str) -> bool:
    words = value.split()
    return len(words) in (12, 15, 18, 21, 24) and all(w.isalpha() and w.islower()
                                                      and 3 <= len(w) <= 8 for w in words)


# --------------------------------------------------------------------------- detectors

@dataclass(frozen=True)
class Detector:
    """A detect-secrets regex plugin used on isolated values. ``tokens``: lowercase
    strings one of which every match contains (so a rule may run the detector only on
    files holding one). A detector without tokens runs under a secret-ish name, or
    name-less in files that contain one of its ``file_tokens``."""

    module: str
    cls: str
    tokens: tuple[str, ...]
    file_tokens: tuple[str, ...] = ()


DETECTORS: tuple[Detector, ...] = (
    Detector("aws", "AWSKeyDetector", ("akia", "asia", "abia", "acca", "a3t")),
    Detector("private_key", "PrivateKeyDetector", ("private key", "putty-user-key")),
    Detector("jwt", "JwtTokenDetector", ("eyj",)),
    Detector("slack", "SlackDetector", ("xox", "hooks.slack.com")),
    Detector("stripe", "StripeDetector", ("k_live_",)),
    Detector("github_token", "GitHubTokenDetector", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    Detector("gitlab_token", "GitLabTokenDetector",
             ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "gr1348941", "glcbt-", "glimt-",
              "glptt-", "glagent-", "gloas-")),
    Detector("sendgrid", "SendGridDetector", ("sg.",)),
    Detector("openai", "OpenAIDetector", ("t3blbkfj",)),
    Detector("pypi_token", "PypiTokenDetector", ("pypi-",)),
    Detector("square_oauth", "SquareOAuthDetector", ("sq0csp-",)),
    Detector("azure_storage_key", "AzureStorageKeyDetector", ("accountkey=",)),
    Detector("basic_auth", "BasicAuthDetector", ("://",)),
    Detector("telegram_token", "TelegramBotTokenDetector", (),
             ("telegram", "telebot", "aiogram", "tg_", "bot")),
    Detector("discord", "DiscordBotTokenDetector", (), ("discord", "bot")),
    Detector("apisec", "DiscordWebhookDetector", ("/api/webhooks/",)),
)

#: Tokens one of which a file holds whenever a detector can match in it name-less.
DETECTOR_TOKENS: tuple[str, ...] = tuple(sorted({t for d in DETECTORS
                                                 for t in (*d.tokens, *d.file_tokens)}))
#: The subset that a matching value itself contains.
VALUE_TOKENS: tuple[str, ...] = tuple(sorted({t for d in DETECTORS for t in d.tokens}))
#: File tokens of the detectors whose matches contain no fixed substring.
FILE_ONLY_TOKENS: tuple[str, ...] = tuple(sorted({t for d in DETECTORS if not d.tokens
                                                  for t in d.file_tokens}))


class _DiscordWebhookDetector:
    """Discord webhook URLs: the path ends with the webhook's token (detect-secrets has
    no plugin for them; same interface as its regex plugins)."""

    secret_type = "Discord Webhook URL"
    regex = re.compile(r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/"
                       r"\d{5,}/[A-Za-z0-9_\-]{40,}")

    def analyze_string(self, string: str) -> Any:
        return self.regex.findall(string)


@cache
def _plugin(module: str, cls: str) -> Any:
    if module == "apisec":
        return {"DiscordWebhookDetector": _DiscordWebhookDetector}[cls]()
    import importlib

    mod = importlib.import_module(f"detect_secrets.plugins.{module}")
    return getattr(mod, cls)()


@lru_cache(maxsize=8)
def _tokens_in(text_lower: str) -> frozenset[str]:
    """The detector tokens a file holds (searched once per file, not once per value)."""
    return frozenset(t for t in DETECTOR_TOKENS if t in text_lower)


def detect(value: str, *, named: bool = False, text_lower: str | None = None,
           placeholders: Sequence[str] = ()) -> tuple[str, str] | None:
    """The detect-secrets plugin type a value matches (``"Telegram Bot Token"``) and the
    matched secret, or None.

    Without ``named`` only detectors with tokens run, and only when one of their tokens
    occurs in ``text_lower`` (the file) and in the value -- so rules stay sound with
    respect to their prefilter tokens."""
    low = value.lower()
    present = _tokens_in(text_lower) if text_lower is not None else None
    for det in DETECTORS:
        if det.tokens:
            if not any(t in low for t in det.tokens):
                continue
            if present is not None and not any(t in present for t in det.tokens):
                continue
        elif not named and (present is None or not any(t in present for t in det.file_tokens)):
            continue
        plugin = _plugin(det.module, det.cls)
        try:
            matches = list(plugin.analyze_string(value))
        except Exception:  # a plugin bug must not stop the scan
            continue
        for match in matches:
            if det.cls == "BasicAuthDetector":
                if is_placeholder(match, extra=placeholders) or _vocab_coverage(match) >= 0.6 \
                        or not is_password_like(match) \
                        or re.search(rf"://{re.escape(match)}:{re.escape(match)}@", value):
                    continue  # user == password: a local development default
            elif det.cls == "PrivateKeyDetector":
                if not _pem_has_body(value):
                    continue
                match = value
            elif is_placeholder(match, extra=placeholders):
                continue
            return str(plugin.secret_type), str(match)
    return None


def _pem_has_body(value: str) -> bool:
    body = re.sub(r"-----[^-]+-----", "", value)
    return len(re.findall(r"[A-Za-z0-9+/=]", body)) >= 40 and not any(
        t in body for t in _TRUNCATED)


# --------------------------------------------------------------------------- verdicts

@dataclass(frozen=True)
class KeyShape:
    """A known credential format from a pack (``[[key_shapes]]``)."""

    label: str  # "Binance API key"
    pattern: re.Pattern[str]
    role: str = ""


@dataclass(frozen=True)
class Verdict:
    """Why a value is taken for a credential: ``what`` is shown in messages."""

    what: str
    strong: bool = False
    #: the secret itself when it is only part of the value (a token inside a URL)
    match: str | None = None


def assess(value: Any, *, strength: str, role: str = "", name: str | None = None,
           shapes: Iterable[KeyShape] = (), placeholders: Sequence[str] = (),
           text_lower: str | None = None) -> Verdict | None:
    """Is ``value`` a credential, given where it sits?

    ``strength``: ``"slot"`` (a known credential parameter of an SDK), ``"strong"`` /
    ``"weak"`` (what :func:`classify_name` said of its name) or ``"none"`` (no name:
    only detect-secrets' format plugins count)."""
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(value, str):
        return None
    v = value.strip()
    if role in ("token", "key", "secret", "") and _AUTH_SCHEME_RE.match(v):
        v = _AUTH_SCHEME_RE.sub("", v, count=1).strip()
    if len(v) < 4 or len(v) > 10000:
        return None
    named = strength in ("slot", "strong", "weak")
    found = detect(v, named=named, text_lower=text_lower, placeholders=placeholders)
    if found:
        return Verdict(found[0], True, None if found[1] == v else found[1])
    if strength == "none":
        return None
    if (role == "mnemonic" or strength in ("slot", "strong")) and is_mnemonic(v):
        return Verdict("seed phrase", True)
    if is_placeholder(v, name, placeholders):
        return None
    for shape in shapes:
        if (not shape.role or not role or shape.role == role or strength == "weak") and \
                shape.pattern.fullmatch(v) and _classes(v) >= 2:
            return Verdict(f"looks like a {shape.label}", True)
    if role == "webhook":
        return Verdict("webhook URL with its token", True) if _webhook_token(v) else None
    if "://" in v or _PATH_EXT_RE.search(v):
        return None
    if _EVM_ADDRESS_RE.fullmatch(v):
        return None
    if role == "private_key" and _EVM_PRIVATE_RE.fullmatch(v):
        return Verdict("64-hex private key", True)
    if re.search(r"\s", v):
        return None
    if strength == "weak" and role == "token" and _BASE58_ADDRESS_RE.fullmatch(v):
        return None  # "token" in trading code is often a coin: a Solana mint address
    if is_random(v):
        hexy = all(c in _HEX_SET for c in v)
        return Verdict(f"high-entropy {'hex ' if hexy else ''}string", len(v) >= 20)
    if v.startswith(("/", "./", "~/", "../")):
        return None  # a file path
    if strength == "weak" or role == "mnemonic":
        return None
    # A known credential slot or a strongly secret name: credential-like is enough.
    if role in ("password", "passphrase"):
        return Verdict("hardcoded password") if is_password_like(v) else None
    if v.isdigit():
        return None
    if is_uuid(v) and role in ("key", "secret", "token", ""):
        return Verdict("UUID-shaped API key")
    if len(v) >= 8 and re.fullmatch(r"[A-Za-z0-9+/=_\-]+", v) and not is_wordy(v) and \
            any(c.isdigit() for c in v) and any(c.isalpha() for c in v) and \
            not re.search(r"[A-Za-z]-[A-Za-z]", v):
        return Verdict("hardcoded credential")
    return None


def is_password_like(value: str) -> bool:
    """A chosen password, not a word: at least 6 characters and more than one kind of
    character (``Tr4d1ng!Pass``, ``hunter2``), or long and not made of words. Exchange
    passphrases must mix kinds; ``python`` or ``coyote`` in a test are not keys."""
    v = value.strip()
    if len(v) < 6 or (is_wordy(v) and not re.search(r"\d", v)):
        return False
    kinds = _classes(v) + bool(re.search(r"[^A-Za-z0-9]", v))
    if kinds >= 2 and not re.fullmatch(r"[A-Z][a-z]+", v):
        return True
    return len(v) >= 16 and not is_wordy(v)


def _webhook_token(url: str) -> bool:
    if "://" not in url:
        return False
    path = url.split("://", 1)[1]
    return any(len(seg) >= 20 and is_random(seg, 20) for seg in re.split(r"[/?&=#]", path))


def compile_shapes(entries: Iterable[dict[str, Any]]) -> tuple[KeyShape, ...]:
    """The ``[[key_shapes]]`` pack entries as :class:`KeyShape` objects."""
    out = []
    for entry in entries:
        try:
            pattern = re.compile(entry["pattern"])
        except (re.error, KeyError):
            continue
        out.append(KeyShape(entry.get("label") or entry.get("exchange", "known key format"),
                            pattern, entry.get("role", "")))
    return tuple(out)


def role_label(role: str) -> str:
    """``"secret"`` -> ``"API secret"`` for messages."""
    return {
        "key": "API key", "secret": "API secret", "passphrase": "API passphrase",
        "password": "password", "token": "token", "private_key": "private key",
        "mnemonic": "seed phrase", "webhook": "webhook URL", "uid": "account id",
        "wallet": "wallet address",
    }.get(role, "credential")
