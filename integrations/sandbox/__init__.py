"""Local imitations of Slack's Web API and Google Calendar.

They serve two users: the test suite (which drives the real `WebClient` and the real
google-api-python-client against them) and `interview-bot sandbox`, which runs the real bot
against them so a person can try it without credentials. One implementation serves both, so the
sandbox behaves exactly as the tested fakes do.
"""
