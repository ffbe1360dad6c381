"""Self-tests of the sandbox fakes (integrations/sandbox/: FakeSlack's Web API, its Socket Mode
server, and the signed request factory in integrations/sandbox/slack_requests.py).

They check that the fakes answer as Slack does when driven by the real bolt and slack_sdk, so
the scenario tests in tests/slack/ can trust them. They test no bot code.
"""
