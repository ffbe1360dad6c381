"""manifest.yml asks for exactly the scopes of the Slack methods the code really calls.

The methods are read from the source (AST): `_call("chat.postMessage", …)` and
`api_call("…")` with a literal name, and `client.users_info(…)`-style `WebClient` methods,
turned into Slack method names from slack_sdk's own source. Slack's documented bot scope for
each method is the only table kept by hand; a method missing from it fails the test, so a new
call cannot slip in without its scope.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import yaml
from slack_sdk import WebClient

from bot.slack_scopes import BOT_SCOPES

ROOT = Path(__file__).resolve().parents[2]
SCANNED = [ROOT / "bot", ROOT / "integrations" / "slack"]

# Bot scope each Web API method needs (api.slack.com/methods/<method>); None: no scope.
SCOPE_OF_METHOD: dict[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.open": "im:write",  # DMs only
    "conversations.history": "im:history",  # DMs only
    "users.info": "users:read",
    "users.lookupByEmail": "users:read.email",
    "views.open": None,
    "views.publish": None,
    "views.update": None,
}


def _web_client_method(name: str) -> str | None:
    """`users_lookupByEmail` → `users.lookupByEmail`, read from slack_sdk's source."""
    function = getattr(WebClient, name, None)
    if function is None or not callable(function):
        return None
    found = re.search(r'api_call\(\s*"([a-zA-Z.]+)"', inspect.getsource(function))
    return found.group(1) if found else None


def slack_methods_called(paths: list[Path]) -> dict[str, list[str]]:
    """Slack method → where it is called (file:line)."""
    methods: dict[str, list[str]] = {}
    for folder in paths:
        for path in sorted(folder.rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                    continue
                attribute = node.func.attr
                method = None
                if attribute in {"_call", "api_call"} and node.args:
                    first = node.args[0]
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        method = first.value
                elif "_" in attribute and attribute != "api_call":
                    method = _web_client_method(attribute)
                if method is not None:
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    methods.setdefault(method, []).append(where)
    return methods


def scopes_needed(methods: dict[str, list[str]], manifest: dict[str, object]) -> set[str]:
    unknown = sorted(set(methods) - set(SCOPE_OF_METHOD))
    assert not unknown, (
        f"add the bot scope of {unknown} (called at {[methods[m] for m in unknown]})"
    )
    scopes = {SCOPE_OF_METHOD[m] for m in methods} - {None}
    features = manifest.get("features")
    if isinstance(features, dict) and features.get("slash_commands"):
        scopes.add("commands")
    return {scope for scope in scopes if scope is not None}


def test_manifest_and_doctor_scopes_are_those_of_the_methods_called() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    methods = slack_methods_called(SCANNED)
    # the scan finds the calls we know of: a broken scan must not pass vacuously
    assert {"chat.postMessage", "conversations.open", "users.info", "views.open"} <= set(methods)
    needed = scopes_needed(methods, manifest)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed
    assert needed == BOT_SCOPES  # what `interview-bot doctor` checks the token for


def test_manifest_subscribes_to_what_the_listeners_handle() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert manifest["features"]["slash_commands"][0]["command"] == "/interview"
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
