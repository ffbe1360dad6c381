"""The bot scopes the app uses; manifest.yml must list exactly these (a test checks it)."""

BOT_SCOPES = frozenset(
    {
        "commands",
        "chat:write",
        "im:history",  # conversations.history: was a DM whose answer was lost posted after all?
        "im:write",
        "users:read",
        "users:read.email",
    }
)
