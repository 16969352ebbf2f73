"""The REST API's handlers: reads (profile, trials, metrics, logs, export), control, auth.

autolab.server assembles them into the tornado application with the web UI's static files.
"""
