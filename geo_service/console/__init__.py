"""The editor console: server-rendered pages under /console for county staff and admins.

Routes are thin, like the API's: read the form or the query, call the same services (never a second copy
of validation), render a Jinja2 template (autoescaped) or redirect. Sessions are server-side
(services.console_sessions), every state-changing request carries the session's CSRF token, and every
page sends a strict Content-Security-Policy: scripts and styles from the app's own files only.
"""
