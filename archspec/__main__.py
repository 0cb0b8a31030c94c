"""python -m archspec: the command line."""
from .cli import app

app(prog_name="archspec")
