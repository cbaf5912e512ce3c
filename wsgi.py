"""The WSGI entry point for gunicorn: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Creating the Flask app builds no storage: each worker creates its Accord application on first use.
"""

from bootstrap import create_app

app = create_app()
