"""python -m archspec: the command line."""
from .cli.app import app

app(prog_name="archspec")
