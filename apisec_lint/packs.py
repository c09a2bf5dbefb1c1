"""Load and validate the declarative knowledge packs (``rules/*.toml``).

A pack says what one SDK looks like: which qualified names construct its clients and
where their credentials go, its TLS and rate-limit knobs, its order/leverage/funds
sinks, its key-management calls and the untrusted-input sources of a framework. The
engine and the rules know nothing about exchanges; they ask the merged
:class:`Knowledge`.

Every section of a pack has a schema in :data:`SECTIONS`. A pack with an unknown key,
a missing required key or a value of the wrong type is a :class:`PackError` naming the
file and the key. Built-in packs ship inside the wheel as ``apisec_lint.rulepacks``; users
add their own with the config key ``packs``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from apisec_lint._lazy import tomllib
from apisec_lint.errors import PackError

# --------------------------------------------------------------------------- schema

@dataclass(frozen=True)
class Field:
    """One key of a pack table: its type and whether it is required.

    ``kind`` is one of str, int, bool, number, any, regex (a str that compiles),
    list[str], list[int], list[any], list[regex], table (nested ``fields``) or
    list[table] (nested ``fields``)."""

    kind: str
    required: bool = False
    fields: Mapping[str, Field] | None = None
    choices: tuple[str, ...] = ()


def _f(kind: str, required: bool = False, fields: Mapping[str, Field] | None = None,
       choices: tuple[str, ...] = ()) -> Field:
    return Field(kind, required, fields, choices)


ROLES = ("key", "secret", "passphrase", "uid", "token", "private_key", "wallet", "password",
         "webhook")

#: The permission vocabulary of the least-privilege report (SPEC §3), weakest first.
#: ``trade`` in a pack means "trade:spot or trade:futures, decided by [[markets]]".
PERMISSIONS = ("read", "read:account", "trade:spot", "trade:futures", "transfer", "withdraw")
PERMISSION_CHOICES = (*PERMISSIONS, "trade")
#: Other names a project may use when it declares a key's scopes (config ``keys``).
SCOPE_ALIASES: dict[str, tuple[str, ...]] = {
    "trade": ("trade:spot", "trade:futures"), "trade:margin": ("trade:futures",),
    "futures": ("trade:futures",), "spot": ("trade:spot",), "read-only": ("read",),
    "read_only": ("read",), "withdrawal": ("withdraw",), "withdrawals": ("withdraw",),
    "transfers": ("transfer",)}
SCOPE_NAMES = (*PERMISSIONS, *SCOPE_ALIASES)
GRANT_CHOICES = ("trade", "transfer", "withdraw")
FUNDS_ROLES = ("address", "amount", "destination")

PARAM = {
    "name": _f("str"),
    "position": _f("int"),
    "role": _f("str", choices=ROLES),
}

#: Where untrusted data comes from (decides the APS4xx severity).
TAINT_KINDS = ("web", "chat", "websocket", "http", "cli")
SANITIZER_ROLES = ("validator", "clamp", "schema", "terminator", "encoder", "clean",
                   "converter", "propagator")
SINK_KINDS = ("order", "edit", "leverage", "margin", "position", "funds")
#: What a sink parameter is.
SINK_ROLES = ("symbol", "side", "type", "amount", "price", "trigger_price", "leverage",
              "margin_mode", "position_mode", "address", "tag", "network", "currency",
              "account", "order_id", "params", "orders", "option", "url", "body")

SINK_PARAM = {
    "name": _f("str"),
    "position": _f("int"),
    "role": _f("str", True, choices=SINK_ROLES),
}

#: section name -> (is an array of tables, field specs). Rule families add their
#: sections here; a section's entries are read through ``Knowledge.section(name)``.
SECTIONS: dict[str, tuple[bool, Mapping[str, Field]]] = {
    "pack": (False, {
        "name": _f("str", True),
        "description": _f("str"),
        "sdk": _f("str"),
        "modules": _f("list[str]"),
        "docs": _f("str"),
    }),
    # A client constructor: calls to a matching qualified name build an SDK client.
    "clients": (True, {
        "sdk": _f("str", True),
        "match": _f("list[str]", True),
        "exclude": _f("list[str]"),
        "exchange": _f("str"),  # fixed exchange id; default: the constructor's last name
        "params": _f("list[table]", fields=PARAM),  # credential parameters
        "config": _f("table", fields={"name": _f("str"), "position": _f("int")}),
        "config_keys": _f("list[table]", fields={"key": _f("str", True),
                                                  "role": _f("str", True, choices=ROLES)}),
        "attributes": _f("list[table]", fields={"name": _f("str", True),
                                                 "role": _f("str", True, choices=ROLES)}),
        "rate_limited": _f("bool"),  # the client throttles itself by default
        # the prefix of the environment variables a hardcoded credential is moved to
        # by ``--unsafe-fixes`` (``BINANCE`` -> ``BINANCE_API_KEY``); default: the
        # exchange id in capitals
        "env_prefix": _f("str"),
        "doc": _f("str"),
    }),
    # A keyword/positional argument or config key of a call whose value matters.
    # ``topic`` says which rule family reads it.
    "knobs": (True, {
        "topic": _f("str", True),
        "calls": _f("list[str]"),  # qualified-name patterns of callees
        "methods": _f("list[str]"),  # method names on a client of ``sdk``
        "sdk": _f("str"),
        "param": _f("str"),
        "position": _f("int"),
        "config_key": _f("str"),  # a key of the client's config dict
        "attribute": _f("str"),  # ``client.<attribute> = value``
        "bad": _f("list[any]"),  # literal values that are insecure
        "bad_names": _f("list[str]"),  # qualified names that are insecure (ssl.CERT_NONE)
        "below": _f("number"),  # numeric values below this are insecure
        "required": _f("bool"),  # leaving the argument out is insecure too (timeouts)
        # ``attribute`` knobs: last-name patterns of receivers of unknown type that still
        # count (``*session`` for ``http_session.verify = False``)
        "receivers": _f("list[str]"),
        "message": _f("str"),
        # How ``--fix`` repairs an insecure setting: ``remove`` the argument, dict entry
        # or attribute assignment (the SDK default is safe), or ``set`` it to
        # ``fix_value`` (Python source; a rule may supply it, e.g. the configured timeout).
        # A ``required`` knob with ``fix = "set"`` is also added where it is missing.
        "fix": _f("str", choices=("remove", "set")),
        "fix_value": _f("str"),
        "fix_import": _f("str"),  # a module ``fix_value`` needs (``ssl``): imported once
        # overrides the rule's own: a fix that changes run-time behaviour is "unsafe"
        "fix_applicability": _f("str", choices=("safe", "unsafe")),
        "doc": _f("str"),
    }),
    # ---- transport (APS2xx) and rate limits (APS3xx)
    # An exchange (or market-data service): the domains of its API hosts (a domain
    # matches itself and every subdomain) and, for ccxt ids, the default ``rateLimit``
    # in milliseconds between requests.
    "exchanges": (True, {
        "id": _f("str", True),
        "domains": _f("list[str]"),
        "rate_limit": _f("number"),
        "doc": _f("str"),
    }),
    # The methods of an SDK client that go over the network (loops and retries).
    # Without an entry every public method of the SDK's clients counts.
    "network": (True, {
        "sdk": _f("str", True),
        "methods": _f("list[str]", True),  # name patterns (``fetch*``, ``*[Pp]rivate*``)
        "exclude": _f("list[str]"),
        "doc": _f("str"),
    }),
    # What paces a loop: sleeps, limiters, throttling decorators. ``calls``/``decorators``
    # are qualified-name patterns, ``methods`` are methods of a client of ``sdk``,
    # ``names`` match the last name of a call, context manager or decorator of unknown
    # origin. ``unit``: what the first argument of a sleep counts in.
    "throttles": (True, {
        "calls": _f("list[str]"),
        "sdk": _f("str"),
        "methods": _f("list[str]"),
        "names": _f("list[str]"),
        "decorators": _f("list[str]"),
        "unit": _f("str", choices=("s", "ms")),
        "doc": _f("str"),
    }),
    # Exceptions that signal a transient network, availability or rate-limit error: an
    # ``except`` of one of these inside a loop is a retry.
    "transient_errors": (True, {
        "names": _f("list[str]", True),  # qualified-name patterns
        "sdk": _f("str"),
        "doc": _f("str"),
    }),
    # Functions that are insecure to call or to install as a value
    # (``ssl._create_unverified_context``); ``topic`` says which rule reports them.
    "unsafe_calls": (True, {
        "topic": _f("str", True),
        "calls": _f("list[str]", True),
        "message": _f("str"),
        # ``--fix``: the safe function of the same module to call instead (its last name:
        # ``ssl._create_unverified_context()`` -> ``ssl.create_default_context()``)
        "replacement": _f("str"),
        "doc": _f("str"),
    }),
    # Environment variables that are insecure to set from code to one of ``bad``.
    "environment": (True, {
        "topic": _f("str", True),
        "name": _f("str", True),
        "bad": _f("list[any]", True),
        "message": _f("str"),
        "doc": _f("str"),
    }),
    # Keys of a larger configuration (a JSON/YAML/TOML file, or a Python dict) under
    # which a client config of ``sdk`` lives: freqtrade's ``exchange.ccxt_config``.
    # ``markers``: keys that make a mapping a client config of ``sdk`` even without a
    # wrapper key (``enableRateLimit`` is ccxt's own name).
    "client_configs": (True, {
        "sdk": _f("str", True),
        "keys": _f("list[str]"),
        "markers": _f("list[str]"),
        "doc": _f("str"),
    }),
    # ---- order safety (APS4xx): the taint model. See docs/rules.md "APS4xx".
    # Where untrusted data comes from. ``objects``: qualified names whose value and
    # everything read from it (attributes, items, method results, iteration) is
    # untrusted (``flask.request``, ``sys.argv``); ``calls``: qualified callees whose
    # return value is (``builtins.input``, ``websockets.connect``); ``methods``: method
    # names on any receiver, applied only when the file imports one of ``imports``;
    # ``dotted``: expressions as written (``request.POST``), also gated by ``imports``.
    # A call source whose URL names one of ``exclude_hosts`` is not untrusted.
    "taint_sources": (True, {
        "kind": _f("str", True, choices=TAINT_KINDS),
        "framework": _f("str"),
        "objects": _f("list[str]"),
        "calls": _f("list[str]"),
        "methods": _f("list[str]"),
        "dotted": _f("list[str]"),
        "imports": _f("list[str]"),
        "exclude_hosts": _f("list[str]"),
        "doc": _f("str"),
    }),
    # Functions whose parameters carry untrusted data because a framework calls them
    # with it: decorated (``decorators`` qualified patterns, or ``decorator_methods``
    # on any receiver when the file imports one of ``imports``), registered by a call
    # (``calls`` / ``methods`` with the function passed as ``callback``), or methods
    # named ``function_names`` of a class derived from ``bases``. ``params`` lists the
    # untrusted positions (not counting self), default all; parameters annotated with
    # ``skip_annotations`` or defaulting to a ``skip_defaults`` call are not untrusted;
    # ``clean_attributes`` of an untrusted parameter are server-side state.
    "taint_handlers": (True, {
        "kind": _f("str", True, choices=TAINT_KINDS),
        "framework": _f("str"),
        "decorators": _f("list[str]"),
        "decorator_methods": _f("list[str]"),
        "calls": _f("list[str]"),
        "methods": _f("list[str]"),
        "callback": _f("table", fields={"name": _f("str"), "position": _f("int")}),
        "function_names": _f("list[str]"),
        "bases": _f("list[str]"),
        "params": _f("list[int]"),
        "skip_annotations": _f("list[str]"),
        "skip_defaults": _f("list[str]"),
        "clean_attributes": _f("list[str]"),
        "imports": _f("list[str]"),
        "doc": _f("str"),
    }),
    # What a call does to untrusted data. role: validator (validates its arguments:
    # as a statement it raises on bad input, in a condition it is true for good input,
    # its value is clean), clamp (result bounded when any argument is trusted: min),
    # (numpy.clip: only its ``bound`` argument counts), schema (validates ``instance``
    # against ``schema``, per property), terminator
    # (never returns: abort, sys.exit), encoder (structured encoding: not string
    # formatting), clean (result is never untrusted: len), converter (changes the type,
    # does NOT validate: float, Decimal), propagator (client methods that return their
    # argument reformatted: amount_to_precision). ``calls``: qualified patterns;
    # ``names``: bare function names / patterns; ``methods``: method names.
    "taint_sanitizers": (True, {
        "role": _f("str", True, choices=SANITIZER_ROLES),
        "calls": _f("list[str]"),
        "names": _f("list[str]"),
        "methods": _f("list[str]"),
        "instance": _f("table", fields={"name": _f("str"), "position": _f("int")}),
        "schema": _f("table", fields={"name": _f("str"), "position": _f("int")}),
        # clamp: the upper-bound argument that must be trusted (default: any argument)
        "bound": _f("table", fields={"name": _f("str"), "position": _f("int")}),
        "doc": _f("str"),
    }),
    # Declarative validation of request models (pydantic, FastAPI parameters): a field
    # or parameter is validated when its type is a ``literal_types`` subscript or an
    # enum (``enum_bases``), or a ``constraint_calls`` call in its type or default
    # passes one of ``constraint_keywords``, or a ``validator_decorators`` method
    # names it.
    "taint_models": (True, {
        "bases": _f("list[str]"),
        "constraint_calls": _f("list[str]"),
        "constraint_keywords": _f("list[str]"),
        "literal_types": _f("list[str]"),
        "enum_bases": _f("list[str]"),
        "validator_decorators": _f("list[str]"),
        "doc": _f("str"),
    }),
    # Values that scale an order size (APS405): identifiers matching ``names``
    # (glob, case-insensitive) and results of ``methods``.
    "size_factors": (True, {
        "names": _f("list[str]"),
        "methods": _f("list[str]"),
        "doc": _f("str"),
    }),
    # SDK methods that place, edit or size orders, set leverage/margin/positions or
    # move funds, with the parameters that matter (name and/or position, and what the
    # parameter is). ``sdk`` is the [[clients]] sdk of the receiver.
    "order_sinks": (True, {
        "sdk": _f("str", True),
        "kind": _f("str", True, choices=SINK_KINDS),
        "methods": _f("list[str]"),
        "method_patterns": _f("list[str]"),
        "params": _f("list[table]", True, fields=SINK_PARAM),
        "doc": _f("str"),
    }),
    # REST paths of order/leverage/funds endpoints: a raw HTTP call (``http_senders``)
    # whose URL contains one is a sink for its URL, query parameters and body.
    "order_endpoints": (True, {
        "kind": _f("str", True, choices=SINK_KINDS),
        "paths": _f("list[str]", True),
        "exchange": _f("str"),
        "doc": _f("str"),
    }),
    # Calls that send an HTTP request: where the URL, the HTTP verb (for generic
    # ``request`` calls) and the query/body arguments are.
    "http_senders": (True, {
        "calls": _f("list[str]"),
        "methods": _f("list[str]"),
        "imports": _f("list[str]"),
        "url": _f("table", True, fields={"name": _f("str"), "position": _f("int")}),
        "verb": _f("table", fields={"name": _f("str"), "position": _f("int")}),
        "params": _f("list[table]", True, fields=SINK_PARAM),
        "doc": _f("str"),
    }),
    # Calls that execute or unsafely deserialize their input (APS403). ``data`` is the
    # argument read; with ``loader`` set, the call is safe when that argument names one
    # of ``safe_loaders``.
    "unsafe_deserializers": (True, {
        "calls": _f("list[str]", True),
        "data": _f("table", fields={"name": _f("str"), "position": _f("int")}),
        "loader": _f("table", fields={"name": _f("str"), "position": _f("int")}),
        "safe_loaders": _f("list[str]"),
        # ``--unsafe-fixes``: the call to use instead (``json.loads`` for ``eval``) and
        # the module to import for it
        "replacement": _f("str"),
        "replacement_import": _f("str"),
        "doc": _f("str"),
    }),
    # ---- key permissions (APS5xx) -------------------------------------------------
    # Which permission an SDK method needs. A method name is compared case-insensitively
    # with underscores removed (``create_order`` == ``createOrder``); ``regex`` entries
    # (ccxt implicit endpoints) are matched against that normalised name, and the first
    # matching entry of a pack wins, after every exact ``methods`` match.
    "permissions": (True, {
        "sdk": _f("str", True),  # ClientInfo.sdk of the receiver
        "permission": _f("str", True, choices=PERMISSION_CHOICES),
        "methods": _f("list[str]"),
        "regex": _f("list[str]"),
        "exchanges": _f("list[str]"),  # only for clients of these exchange ids
        # Arguments that decide how dangerous a funds call is (APS503).
        "args": _f("list[table]", fields={"name": _f("str"), "position": _f("int"),
                                          "role": _f("str", True, choices=FUNDS_ROLES)}),
        # Lowercase substrings one of which every matching call's source contains
        # (prefilter tokens; required for withdraw/transfer entries).
        "triggers": _f("list[str]"),
        "doc": _f("str"),
    }),
    # How to tell a futures/margin order from a spot one, for ``permission = "trade"``.
    # A client-level entry (``futures_exchanges`` / ``config_key``) or a call-level one
    # (``param``/``position`` with ``spot_values`` / ``futures_values`` / ``futures_regex``).
    "markets": (True, {
        "sdk": _f("str", True),
        "futures_exchanges": _f("list[str]"),
        "config_key": _f("str"),  # dotted key in the client's config dict
        "futures_values": _f("list[str]"),
        "spot_values": _f("list[str]"),
        "futures_regex": _f("str"),
        "param": _f("str"),
        "position": _f("int"),
        "doc": _f("str"),
    }),
    # A call that creates or modifies an API key, and which of its arguments grant what.
    "key_grants": (True, {
        "sdk": _f("str"),  # methods/regex on a client of this sdk
        "methods": _f("list[str]"),  # case-insensitive exact names
        "regex": _f("list[str]"),  # on the normalised method name (needs ``triggers``)
        "calls": _f("list[str]"),  # qualified-name patterns of callees
        "endpoints": _f("list[str]"),  # regexes on the URL of a raw REST call
        "triggers": _f("list[str]"),  # prefilter tokens for regex/endpoints entries
        "action": _f("str", True, choices=("create", "modify")),
        # the key's parameters are keys of the dict passed at this position (raw REST
        # payloads, ccxt implicit methods); else keyword/positional arguments
        "payload": _f("int"),
        "grants": _f("list[table]", fields={
            "param": _f("str"),
            "position": _f("int"),
            "contains": _f("list[any]"),  # any token of the value is one of these
            "equals": _f("list[any]"),  # the value is one of these
            "always": _f("bool"),  # the call itself grants it
            "missing": _f("bool"),  # an absent argument grants it (SDK default)
            "permission": _f("str", True, choices=GRANT_CHOICES),
            # what to pass instead for a read-only key (APS506 messages)
            "instead": _f("str"),
        }),
        "ip": _f("table", fields={
            "param": _f("str", True),
            "position": _f("int"),
            "bad": _f("list[any]"),  # tokens that mean "no restriction"
            "missing": _f("bool"),  # absent means unrestricted (on create)
        }),
        "doc": _f("str"),
    }),
    # Where a credential value comes from: environment lookups and config-file loaders.
    "credential_sources": (True, {
        "kind": _f("str", True, choices=("env", "file")),
        "calls": _f("list[str]"),  # env: the name is an argument; file: loads a file
        "subscripts": _f("list[str]"),  # env mappings: ``os.environ["X"]``
        "param": _f("str"),
        "position": _f("int"),
        # env readers: the fallback value's argument (``os.getenv(name, default)``)
        "default_param": _f("str"),
        "default_position": _f("int"),
        "doc": _f("str"),
    }),
    # Raw HTTP calls whose URL and payload APS5xx reads (REST key management).
    "rest_calls": (True, {
        "calls": _f("list[str]", True),
        "url": _f("table", fields={"name": _f("str"), "position": _f("int")}),
        "payload": _f("list[str]"),  # keyword arguments holding the request parameters
        "doc": _f("str"),
    }),
    # ---- credentials (APS1xx)
    # A known credential format (a regex the whole value must match), e.g. Binance's 64
    # alphanumerics: it makes a short or low-entropy key recognisable.
    "key_shapes": (True, {
        "label": _f("str", True),  # "Binance API key", shown in messages
        "pattern": _f("regex", True),
        "role": _f("str", choices=ROLES),
        "exchange": _f("str"),
        "doc": _f("str"),
    }),
    # A value that means "no credential here" (regex, whole value, case-insensitive),
    # e.g. python-okx's "-1" sentinel.
    "placeholders": (True, {
        "pattern": _f("regex", True),
        "doc": _f("str"),
    }),
    # A call that takes a credential but builds no exchange client: chat bots,
    # notifiers (``telebot.TeleBot(token)``, ``bot.run(token)``).
    # ``--unsafe-fixes`` moves a hardcoded credential to ``os.environ["<PREFIX>_<suffix>"]``
    # (PREFIX from the client's ``env_prefix`` or exchange): the suffix of each role.
    "credential_env": (True, {
        "role": _f("str", True),
        "suffix": _f("str", True),
        "doc": _f("str"),
    }),
    "secret_params": (True, {
        "sdk": _f("str", True),
        "calls": _f("list[str]", True),  # qualified-name patterns of the callee
        "params": _f("list[table]", True, fields=PARAM),
        "env_prefix": _f("str"),  # as in [[clients]]
        "doc": _f("str"),
    }),
    # Where a secret comes from besides the environment (``credential_sources``):
    # keyrings, password prompts, secret managers. Their values are credentials
    # whatever they are called.
    "secret_sources": (True, {
        "kind": _f("str", True, choices=("keyring", "prompt", "vault")),
        "calls": _f("list[str]"),
        "subscripts": _f("list[str]"),  # subscripted objects: st.secrets["NAME"]
        "doc": _f("str"),
    }),
    # A call whose argument is the default of a named setting: pydantic ``Field``,
    # ``SecretStr``, click/argparse/typer options. The setting's name is the variable,
    # attribute or parameter it is assigned to, or the argument at ``name_position``.
    "secret_defaults": (True, {
        "calls": _f("list[str]", True),
        "default_param": _f("str"),
        "default_position": _f("int"),
        "name_position": _f("int"),
        "always_secret": _f("bool"),  # the call itself says secret (SecretStr)
        "doc": _f("str"),
    }),
    # Where a credential must not go. ``calls`` are callee patterns (with ``methods``,
    # only those method names); ``receivers`` are regexes on the receiver's dotted name
    # for objects whose type is unknown (``logger.info`` with ``logger`` a parameter).
    # ``kind = "route"`` entries are route decorators: what the view returns is sent.
    "leak_sinks": (True, {
        "kind": _f("str", True, choices=("print", "log", "response", "chat", "route")),
        "calls": _f("list[str]"),
        "methods": _f("list[str]"),
        "receivers": _f("list[regex]"),
        "doc": _f("str"),
    }),
}


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "any":
        return True
    if kind == "str":
        return isinstance(value, str)
    if kind == "regex":
        if not isinstance(value, str):
            return False
        try:
            re.compile(value)
        except re.error:
            return False
        return True
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "table":
        return isinstance(value, dict)
    if kind.startswith("list["):
        inner = kind[5:-1]
        return isinstance(value, list) and all(
            isinstance(v, dict) if inner == "table" else _type_ok(inner, v) for v in value)
    raise AssertionError(kind)


def _check_table(where: str, table: Any, fields: Mapping[str, Field]) -> None:
    if not isinstance(table, dict):
        raise PackError(f"{where}: expected a table")
    for key, value in table.items():
        spec = fields.get(key)
        if spec is None:
            import difflib

            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise PackError(f"{where}: unknown key {key!r}{hint}")
        if not _type_ok(spec.kind, value):
            raise PackError(f"{where}.{key}: expected {spec.kind}, got {type(value).__name__}")
        if spec.choices and value not in spec.choices:
            raise PackError(f"{where}.{key}: {value!r} is not one of {', '.join(spec.choices)}")
        if spec.fields is not None:
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                suffix = f"[{i}]" if isinstance(value, list) else ""
                _check_table(f"{where}.{key}{suffix}", item, spec.fields)
    for key, spec in fields.items():
        if spec.required and key not in table:
            raise PackError(f"{where}: missing required key {key!r}")


def validate_pack(origin: str, data: dict[str, Any]) -> None:
    """Raise PackError naming ``origin`` and the key when ``data`` breaks the schema."""
    if "pack" not in data:
        raise PackError(f"{origin}: missing the [pack] table")
    for section, value in data.items():
        spec = SECTIONS.get(section)
        if spec is None:
            import difflib

            close = difflib.get_close_matches(section, list(SECTIONS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise PackError(f"{origin}: unknown section {section!r}{hint}")
        is_array, fields = spec
        if is_array:
            if not isinstance(value, list):
                raise PackError(f"{origin}: [{section}] must be an array of tables ([[{section}]])")
            for i, entry in enumerate(value):
                _check_table(f"{origin}: {section}[{i}]", entry, fields)
        else:
            _check_table(f"{origin}: [{section}]", value, fields)


# --------------------------------------------------------------------------- patterns

@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Qualified-name patterns: ``*`` is one dotted segment, ``**`` any number,
    ``[A-Z]`` a character class."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "[" and "]" in pattern[i:]:
            end = pattern.index("]", i)
            out.append(pattern[i:end + 1])
            i = end + 1
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^.]*")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    return _combined(patterns if type(patterns) is tuple else tuple(patterns)) \
        .match(name) is not None


@lru_cache(maxsize=1024)
def _combined(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a list of patterns (one ``match`` instead of one per pattern)."""
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{compile_pattern(p).pattern})" for p in patterns))


# --------------------------------------------------------------------------- loading

@dataclass(frozen=True)
class Pack:
    origin: str
    name: str
    data: Mapping[str, Any]


class Knowledge:
    """All loaded packs merged; what the rules and analyses ask."""

    def __init__(self, packs: Iterable[Pack]) -> None:
        self.packs = tuple(packs)
        self._sections: dict[str, list[dict[str, Any]]] = {}
        self._derived: dict[str, Any] = {}
        for pack in self.packs:
            for section, value in pack.data.items():
                if section == "pack":
                    continue
                entries = value if isinstance(value, list) else [value]
                for entry in entries:
                    self._sections.setdefault(section, []).append({**entry, "_pack": pack.name})
        digest = hashlib.sha256()
        for pack in self.packs:
            digest.update(pack.origin.encode())
            digest.update(repr(sorted(pack.data.items(), key=lambda kv: kv[0])).encode())
        self.digest = digest.hexdigest()

    def derived(self, name: str, factory: Any) -> Any:
        """An index built from the packs once per process (``factory(knowledge)``),
        shared by every file and rule that asks for ``name``."""
        found = self._derived.get(name)
        if found is None:
            found = self._derived[name] = factory(self)
        return found

    def section(self, name: str) -> list[dict[str, Any]]:
        return self._sections.get(name, [])

    def knobs(self, topic: str) -> list[dict[str, Any]]:
        return [k for k in self.section("knobs") if k["topic"] == topic]

    @property
    def modules(self) -> frozenset[str]:
        """Import roots of every SDK the packs describe (prefilter tokens)."""
        mods: set[str] = set()
        for pack in self.packs:
            mods.update(pack.data.get("pack", {}).get("modules", ()))
        return frozenset(mods)


def _load_one(origin: str, text: bytes) -> Pack:
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PackError(f"{origin}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"{origin}: invalid TOML: {exc}") from None
    validate_pack(origin, data)
    return Pack(origin, data["pack"]["name"], data)


def _rulepacks() -> Any:
    """The folder of the built-in packs: a plain directory in every normal install
    (``importlib.resources``, which costs a few ms to import, only for zipped ones)."""
    import apisec_lint.rulepacks as package

    folder = Path(package.__file__).parent if package.__file__ else None
    if folder is not None and folder.is_dir():
        return folder
    from importlib import resources

    return resources.files("apisec_lint.rulepacks")


def builtin_pack_texts() -> list[tuple[str, bytes]]:
    root = _rulepacks()
    out = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            out.append((f"rules/{entry.name}", entry.read_bytes()))
    return out


# The built-in packs, parsed and validated, as JSON: tomllib is pure Python and parsing
# the packs cost a pre-commit run on a clean file about 20 ms; json.loads takes 2 ms.
# The file records a digest of the TOML it came from and is only used while it matches,
# so an edited pack is never shadowed by a stale copy (it is just slower until
# ``python -m apisec_lint.packs`` regenerates the file; a test keeps them in sync).
COMPILED_NAME = "compiled.json"
_COMPILED_FORMAT = 1


def builtin_digest(texts: Iterable[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for origin, text in texts:
        digest.update(origin.encode() + b"\0" + hashlib.sha256(text).digest())
    return digest.hexdigest()


def compiled_builtin_json() -> str:
    """The content of ``rules/compiled.json`` for the current TOML packs."""
    import json

    texts = builtin_pack_texts()
    packs = [_load_one(origin, text) for origin, text in texts]
    doc = {"format": _COMPILED_FORMAT, "digest": builtin_digest(texts),
           "packs": [[p.origin, p.data] for p in packs]}
    return json.dumps(doc, indent=1) + "\n"


def _compiled_builtin(texts: list[tuple[str, bytes]]) -> list[Pack] | None:
    import json

    try:
        raw = _rulepacks().joinpath(COMPILED_NAME).read_bytes()
        doc = json.loads(raw)
        if doc["format"] != _COMPILED_FORMAT or doc["digest"] != builtin_digest(texts):
            return None
        return [Pack(origin, data["pack"]["name"], data) for origin, data in doc["packs"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load_knowledge(extra: Iterable[str | Path] = ()) -> Knowledge:
    """The built-in packs plus the user's ``packs`` (paths), validated."""
    texts = builtin_pack_texts()
    packs = _compiled_builtin(texts) or [_load_one(origin, text) for origin, text in texts]
    for path in extra:
        p = Path(path)
        try:
            text = p.read_bytes()
        except OSError as exc:
            raise PackError(f"{p}: cannot read pack: {exc.strerror or exc}") from None
        packs.append(_load_one(str(p), text))
    return Knowledge(packs)


if __name__ == "__main__":  # python -m apisec_lint.packs: regenerate rules/compiled.json
    out = Path(__file__).resolve().parent.parent / "rules" / COMPILED_NAME
    out.write_text(compiled_builtin_json(), encoding="utf-8")
    print(f"wrote {out}")
