"""Every translation passes Home Assistant's translation checks; every reason has a string.

Home Assistant validates translation files with hassfest (``script/hassfest/translations.py``
in home-assistant/core), which is not in the ``homeassistant`` wheel. The schema below is built
here from the installed Home Assistant's own ``cv.string_with_no_html`` (the check hassfest
applies first to every value) and the other value rules hassfest states: no leading or trailing
spaces, no URLs, placeholders that are identifiers and never in single quotes, no text around a
``[%key:…%]`` reference. Keys of selectors and entities follow hassfest's key rule.

The reasons a flow can end in are read from the code itself (its ``async_abort``,
``errors[...]`` and error dicts, ``error_key`` defaults and the notice patterns' problems), so a
new reason without a string fails here before a user sees a raw key.
"""

from __future__ import annotations

import ast
import json
import re
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from homeassistant.helpers import config_validation as cv

from custom_components.japan_sim_data import coordinator, tracker
from custom_components.japan_sim_data.carriers.errors import CarrierAuthError
from custom_components.japan_sim_data.carriers.user_patterns import (
    PatternProblem,
    compile_user_pattern,
)
from custom_components.japan_sim_data.error_keys import _KEYS
from custom_components.japan_sim_data.tracker_flow import PATTERN_PLACEHOLDERS

# Voluptuous as Home Assistant installs it (probatio since 2026.10), imported after HA.
import voluptuous as vol  # isort: skip

COMPONENT = Path(__file__).parents[1] / "custom_components" / "japan_sim_data"
LANGUAGES = ("en", "ja", "zh-Hans", "zh-Hant")

# hassfest's rules, written out (its module ships only with home-assistant/core's sources).
_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5)://|www\.)"
    r"[a-z0-9]+([\-.][a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(/.*)?)",
    re.IGNORECASE,
)
_SINGLE_QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")
_COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")


def translation_value(value: Any) -> str:
    """One translated string, checked as Home Assistant checks it."""
    text = cv.string_with_no_html(value)
    if _SINGLE_QUOTED_PLACEHOLDER.search(text):
        raise vol.Invalid("placeholder inside single quotes")
    for _, field, _, _ in string.Formatter().parse(text):
        if field is not None and field and not field.isidentifier():
            raise vol.Invalid(f"placeholder {field!r} is not an identifier")
    if _COMBINED_REFERENCE.search(text):
        raise vol.Invalid("text around a [%key:...%] reference")
    if text != text.strip():
        raise vol.Invalid("leading or trailing spaces")
    if _URL.search(text):
        raise vol.Invalid("a URL: use a description placeholder")
    return text


def translation_key(value: Any) -> str:
    """A key of a selector option, an entity or an exception."""
    if not isinstance(value, str) or not _KEY.match(value):
        raise vol.Invalid(f"invalid translation key {value!r}")
    return value


def _keyed(schema: Any) -> Callable[[Any], Any]:
    return cv.schema_with_slug_keys(schema, slug_validator=translation_key)


def _flow_schema() -> vol.Schema:
    fields = {str: translation_value}
    step = {
        vol.Optional("title"): translation_value,
        vol.Optional("description"): translation_value,
        vol.Optional("data"): fields,
        vol.Optional("data_description"): fields,
        vol.Optional("menu_options"): fields,
        vol.Optional("menu_option_descriptions"): fields,
        vol.Optional("submit"): translation_value,
        vol.Optional("sections"): {
            str: {
                vol.Optional("name"): translation_value,
                vol.Optional("description"): translation_value,
                vol.Optional("data"): fields,
                vol.Optional("data_description"): fields,
            }
        },
    }
    return vol.Schema(
        {
            vol.Optional("flow_title"): translation_value,
            vol.Optional("step"): {str: step},
            vol.Optional("error"): fields,
            vol.Optional("abort"): fields,
            vol.Optional("progress"): fields,
            vol.Optional("create_entry"): fields,
        }
    )


def _entity_schema() -> vol.Schema:
    entity = {
        vol.Optional("name"): translation_value,
        vol.Optional("state"): _keyed(translation_value),
        vol.Optional("state_attributes"): _keyed(
            {
                vol.Optional("name"): translation_value,
                vol.Optional("state"): _keyed(translation_value),
            }
        ),
        vol.Optional("unit_of_measurement"): translation_value,
    }
    return vol.Schema({str: _keyed(entity)})


STRINGS_SCHEMA = vol.Schema(
    {
        vol.Optional("title"): translation_value,
        vol.Optional("config"): _flow_schema(),
        vol.Optional("options"): _flow_schema(),
        vol.Optional("entity"): _entity_schema(),
        vol.Optional("exceptions"): _keyed({vol.Required("message"): translation_value}),
        vol.Optional("issues"): _keyed(
            {
                vol.Required("title"): translation_value,
                vol.Optional("description"): translation_value,
                vol.Optional("fix_flow"): _flow_schema(),
            }
        ),
        vol.Optional("selector"): _keyed(
            {
                vol.Optional("options"): _keyed(translation_value),
                vol.Optional("unit_of_measurement"): _keyed(translation_value),
            }
        ),
        vol.Optional("services"): _keyed(
            {
                vol.Required("name"): translation_value,
                vol.Required("description"): translation_value,
                vol.Optional("fields"): _keyed(
                    {
                        vol.Required("name"): translation_value,
                        vol.Required("description"): translation_value,
                        vol.Optional("example"): translation_value,
                    }
                ),
                vol.Optional("sections"): _keyed(
                    {
                        vol.Required("name"): translation_value,
                        vol.Optional("description"): translation_value,
                    }
                ),
            }
        ),
    }
)


def _load(language: str) -> dict[str, Any]:
    path = COMPONENT / "translations" / f"{language}.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_passes_home_assistants_schema(language: str) -> None:
    STRINGS_SCHEMA(_load(language))


@pytest.mark.parametrize(
    "text",
    [
        "e.g. 残り(?P<amount>[\\d.]+)(?P<unit>GB|MB)",  # what hassfest rejected as HTML
        "See https://www.iijmio.jp for details.",
        "Trailing space ",
        "The '{carrier}' login",
        "Prefix [%key:common::config_flow::abort::already_configured%]",
    ],
)
def test_schema_refuses_what_home_assistant_refuses(text: str) -> None:
    with pytest.raises(vol.Invalid):
        STRINGS_SCHEMA({"config": {"error": {"example": text}}})


def test_pattern_example_placeholder_is_a_working_pattern() -> None:
    """The example shown under the patterns field reads a carrier's notice."""
    for language in LANGUAGES:
        for step in (
            _load(language)["config"]["step"]["tracker_sources"],
            _load(language)["options"]["step"]["notices"],
        ):
            assert "{pattern_example}" in step["data_description"]["notice_patterns"]
    compiled = compile_user_pattern(PATTERN_PLACEHOLDERS["pattern_example"])
    match = compiled.search("残り3.5GB")
    assert match is not None
    assert match.group("amount", "unit") == ("3.5", "GB")


# -- reasons the code can produce --------------------------------------------------------------


def _tree(module: str) -> ast.Module:
    return ast.parse((COMPONENT / f"{module}.py").read_text(encoding="utf-8"))


def _calls(tree: ast.AST, name: str) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called == name:
                yield node


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _constant(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _aborts(tree: ast.Module) -> set[str]:
    """Abort reasons a config flow can end in, its own and Home Assistant's implied ones."""
    reasons: set[str] = set()
    for name in ("async_abort", "_abort_if_unique_id_mismatch"):
        for call in _calls(tree, name):
            reason = _constant(_keyword(call, "reason"))
            assert reason is not None, f"{name} without a literal reason"
            reasons.add(reason)
    for call in _calls(tree, "async_update_reload_and_abort"):
        if (reason := _constant(_keyword(call, "reason"))) is not None:
            reasons.add(reason)
    implied = {
        "_abort_if_unique_id_configured": {"already_configured"},
        # A second flow for the same unique id aborts while the first is open.
        "async_set_unique_id": {"already_in_progress"},
        "async_update_reload_and_abort": {"reauth_successful", "reconfigure_successful"},
    }
    for name, implied_reasons in implied.items():
        if any(True for _ in _calls(tree, name)):
            reasons |= implied_reasons
    return reasons


_PATTERN_ERRORS = {f"pattern_{problem}" for problem in get_args(PatternProblem.__value__)}


def _error_dict_values(node: ast.Dict) -> set[str]:
    """Errors in a dict keyed by "base" or a field (CONF_...)."""
    found: set[str] = set()
    for key, item in zip(node.keys, node.values, strict=True):
        is_field = _constant(key) == "base" or (
            isinstance(key, ast.Name) and key.id.startswith("CONF_")
        )
        if is_field and (text := _constant(item)) is not None:
            found.add(text)
        elif is_field and isinstance(item, ast.JoinedStr):
            # f"pattern_{err.reason}": every problem a notice pattern can have.
            assert _constant(item.values[0]) == "pattern_", ast.unparse(item)
            found |= _PATTERN_ERRORS
    return found


def _errors(tree: ast.AST) -> set[str]:
    """Form errors a flow module sets: in errors[...] = "...", error dicts and error returns."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(target := node.targets[0], ast.Subscript):
            if getattr(target.value, "id", "") == "errors" and (text := _constant(node.value)):
                found.add(text)
        elif isinstance(node, ast.Dict):
            found |= _error_dict_values(node)
        elif isinstance(node, ast.Return) and node.value is not None:
            parts = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            found |= {text for part in parts if (text := _constant(part)) is not None}
    for call in _calls(tree, "error_key"):
        if (default := _constant(call.args[1])) is not None:
            found |= {default, *(key for _, key in _KEYS)}
    return found


def _module_calls(tree: ast.AST, module: str) -> set[str]:
    """The functions of a module this code calls as module.name(...)."""
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and getattr(node.func.value, "id", "") == module
    }


def _form_helper_errors(flow: ast.Module) -> set[str]:
    """Errors of the tracker_flow helpers this flow calls (tracker_flow.clean_...(...)), also
    through the plan forms' readers (tracker_plan_forms.read_...(...))."""
    helpers = {
        node.name: _errors(node)
        for node in _tree("tracker_flow").body
        if isinstance(node, ast.FunctionDef)
    }
    readers = {
        node.name: _module_calls(node, "tracker_flow")
        for node in _tree("tracker_plan_forms").body
        if isinstance(node, ast.FunctionDef)
    }
    called = _module_calls(flow, "tracker_flow").union(
        *(readers.get(name, set()) for name in _module_calls(flow, "tracker_plan_forms"))
    )
    return set().union(*(helpers.get(name, set()) for name in called))


def test_every_flow_reason_has_a_string_in_every_language() -> None:
    options_flow = _tree("options_flow")
    # The config flow's class inherits the steps of each kind of login, and a tracked SIM's.
    flows = [
        _tree(name)
        for name in (
            "config_flow",
            "flow_common",
            "password_flow",
            "povo_flow",
            "mineo_flow",
            "tracker_setup_flow",
            "tracker_reconfigure",
        )
    ]
    needed = {
        "config.abort": set().union(*(_aborts(tree) for tree in flows)),
        "config.error": set().union(*(_errors(tree) | _form_helper_errors(tree) for tree in flows)),
        "options.abort": _aborts(options_flow),
        "options.error": _errors(options_flow) | _form_helper_errors(options_flow),
    }
    # Sanity: the scan sees the reasons it must (so a broken scan cannot pass quietly).
    assert {"already_in_progress", "wrong_account", "plan_updated"} <= needed["config.abort"]
    assert {"invalid_auth", "unknown", "pattern_too_slow", "end_before_start"} <= needed[
        "config.error"
    ]
    for language in LANGUAGES:
        strings = _load(language)
        for where, reasons in needed.items():
            section, kind = where.split(".")
            have = set(strings.get(section, {}).get(kind, {}))
            assert reasons <= have, f"{language} {where} lacks {sorted(reasons - have)}"


_NON_AUTH_KEYS = {key for kind, key in _KEYS if not issubclass(kind, CarrierAuthError)}


def _exception_keys() -> set[str]:
    """translation_key= literals of raised exceptions, and the error_key names they use."""
    keys: set[str] = set()
    for path in COMPONENT.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _keyword(node, "translation_domain") is None:
                continue
            value = _keyword(node, "translation_key")
            if (key := _constant(value)) is not None:
                keys.add(key)
            elif isinstance(value, ast.Call) and getattr(value.func, "id", "") == "error_key":
                # The coordinator turns auth errors into reauth ("invalid_auth") before this.
                keys |= {_constant(value.args[1]) or "", *_NON_AUTH_KEYS}
    return keys


def test_every_exception_and_issue_has_a_string_in_every_language() -> None:
    exceptions = _exception_keys()
    assert {"reauth_required", "update_failed", "entry_not_found"} <= exceptions
    issues = {*coordinator.REPAIR_ISSUES, tracker.SLOW_PATTERN_ISSUE}
    for language in LANGUAGES:
        strings = _load(language)
        assert exceptions <= set(strings["exceptions"]), language
        assert issues <= set(strings["issues"]), language
