"""Lets the tests import the area (app.py, delays.py) and the SDK from this checkout."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), os.path.join(HERE, "..", "..", "..", "sdk", "python", "src")]
