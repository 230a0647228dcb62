"""Matplotlib figures that are live widgets (ipympl), whatever the notebook's backend.

Panels draw into figures made here: an ipympl canvas is attached directly, so a panel works in
JupyterLab and Voila without ``%matplotlib widget`` and leaves pyplot's global state alone.
Updates then go ``set_data`` / ``set_array`` + ``draw_idle``; the browser asks for the new
image when it is ready, which coalesces bursts of changes by itself.
"""

from __future__ import annotations

import io
import itertools
import warnings

import numpy as np
from matplotlib.figure import Figure

_numbers = itertools.count(1000)
_canvas_class = None


def _quick_canvas_class():
    """ipympl's Canvas, sending its frames with light PNG compression.

    Every frame the kernel sends is a PNG (the whole figure, or the pixels that changed since
    the last one). At zlib's default level that encoding took 5.4 ms of a 23 ms slider event
    here, more than drawing; level 1 is about three times faster, and the frames only travel
    to a browser on the same machine or network.
    """
    global _canvas_class
    if _canvas_class is None:
        from ipympl.backend_nbagg import Canvas
        from PIL import Image

        class QuickCanvas(Canvas):
            def get_diff_image(self):
                if not self._png_is_old:
                    return None
                rgba = np.asarray(self.get_renderer().buffer_rgba())
                frame = rgba.view(np.uint32)[..., 0]  # one uint32 per pixel: compare at once
                if (
                    self._force_full
                    or frame.shape != self._last_buff.shape
                    or (rgba[..., 3] != 255).any()  # transparency cannot be overlaid
                ):
                    self.set_image_mode("full")
                    out = frame
                else:
                    self.set_image_mode("diff")  # unchanged pixels are sent as transparent
                    out = np.where(frame != self._last_buff, frame, 0)
                self._last_buff = frame.copy()
                self._force_full = self._png_is_old = False
                with io.BytesIO() as png:
                    pixels = out.view(np.uint8).reshape(*out.shape, 4)
                    Image.fromarray(pixels).save(png, format="png", compress_level=1)
                    return png.getvalue()

        _canvas_class = QuickCanvas
    return _canvas_class


def live_figure(width: float, height: float, dpi: int = 100) -> Figure:
    """A Figure whose ``canvas`` is an ipympl widget with no toolbar, header or footer."""
    from ipympl.backend_nbagg import FigureManager

    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    canvas = _quick_canvas_class()(fig)
    with warnings.catch_warnings():
        # ipympl's toolbar passes its canvas on to traitlets, which calls that deprecated;
        # it is ipympl's business and must not reach a student's notebook.
        warnings.filterwarnings("ignore", "Passing unrecognized arguments", DeprecationWarning)
        FigureManager(canvas, next(_numbers))
    # Panels draw once before the figure is shown. With ipympl's default (syncing a data URL,
    # meant for pages without a front end) that draw leaves a data URL without its "data:"
    # prefix, and Voila/JupyterLab then show an empty canvas. A live page gets its image from
    # the canvas's messages; displaying the figure still puts a proper URL in the notebook.
    canvas.syncing_data_url = False
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.toolbar_visible = False
    canvas.resizable = False
    canvas.capture_scroll = False
    return fig


def render_now(fig: Figure) -> None:
    """Draw the figure with Agg now, as happens when the browser asks for a new image.

    Used by tests and the benchmark, where no browser asks. Without a browser ipympl would
    also encode a PNG for the notebook file on each draw; a live page does not, so neither
    does this.
    """
    canvas = fig.canvas
    if hasattr(canvas, "syncing_data_url"):
        canvas.syncing_data_url = False
    canvas.draw()


class Blitter:
    """Redraw only a figure's moving artists: restore the saved background, draw, blit.

    A full draw of a small figure costs about 20 ms here, a blit 3–5 ms. Artists registered
    with ``add`` are "animated": a full draw leaves them out and saves the background; each
    ``update()`` then paints the background back and draws only them. Call
    ``update(full=True)`` when something static changed (axis limits, labels); the layout is
    frozen after the first full draw, since constrained layout alone costs another 15 ms.
    """

    def __init__(self, fig: Figure):
        self.fig = fig
        self.artists: list = []
        self._background = None
        self._drawn_once = False
        fig.canvas.mpl_connect("draw_event", self._on_draw)

    def add(self, *artists):
        for artist in artists:
            artist.set_animated(True)
            self.artists.append(artist)
        return artists[0] if len(artists) == 1 else artists

    def _on_draw(self, event):
        canvas = self.fig.canvas
        self._background = canvas.copy_from_bbox(self.fig.bbox)
        self._paint()

    def _paint(self):
        for artist in self.artists:
            self.fig.draw_artist(artist)

    def update(self, full: bool = False, now: bool = False) -> None:
        """Show the artists' new state; ``now`` renders at once (tests, benchmark)."""
        canvas = self.fig.canvas
        if full or self._background is None:
            if hasattr(canvas, "syncing_data_url") and now:
                canvas.syncing_data_url = False
            if now or not self._drawn_once:
                canvas.draw()
                if not self._drawn_once:
                    self._drawn_once = True
                    self.fig.set_layout_engine("none")
            else:
                canvas.draw_idle()
            return
        canvas.restore_region(self._background)
        self._paint()
        canvas.blit(self.fig.bbox)
