"""The ``public`` blueprint object, apart from its routes so that they can import it without a circle."""

from flask import Blueprint

bp = Blueprint("public", __name__)
