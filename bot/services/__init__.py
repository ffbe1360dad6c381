"""Domain services: what the bot does, independent of how Slack or Google are reached."""
