"""Slack adapter: the WebClient behind the domain's MessagingPort."""
