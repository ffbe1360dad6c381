"""`interview-bot sandbox`: the real bot against local imitations of Slack and Google Calendar.

One process serves a web page where a person plays the recruiter and the interviewers. What they
do becomes signed Slack requests posted to the bot's own `/slack/events`; what the bot sends goes
through the real `WebClient` and google-api-python-client to the fakes in `integrations/sandbox/`
(the same ones the tests use), whose state the page renders.
"""
