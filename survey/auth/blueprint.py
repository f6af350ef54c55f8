"""The ``auth`` blueprint object, apart from its routes so that they can import it without a circle."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
