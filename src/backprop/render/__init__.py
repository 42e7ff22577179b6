"""Renderers: evaluated graph (an ``api.Result``) → text, DOT/images, JSON, HTML, GIF.

Renderers read the result's values, gradients and steps; they never redo the maths.
"""
