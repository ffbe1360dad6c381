"""Interview-loop scheduler for Slack: plans loops, asks interviewers, books calendars."""

__version__ = "0.1.0"
