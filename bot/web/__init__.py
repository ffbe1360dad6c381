"""Pages and hooks served beside Slack's `/slack/events` once `PUBLIC_URL` is set.

`bot.web.app.create_public_app` builds one Flask app from the blueprints of the features that
need a public address (candidate pages, Google push notifications). The Slack ack path does not
go through Flask: `bot.runtime.wsgi_app` routes `/slack/events` and `/healthz` itself and hands
every other path to the public app.
"""
