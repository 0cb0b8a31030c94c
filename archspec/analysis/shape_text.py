"""The two ways archspec writes a tensor shape, one per kind of output, each stated where it is shown.

Text (tables of `stats`, `summary`, `diff`, `ir`, JSON): PyTorch's order without the batch, C x H x W
(`384x35x35`); `summary` puts the batch in front, N x C x H x W (`1x384x35x35`). Diagrams (edge labels, titles, tooltips): the papers' order, H x W x C (`35x35x384`, as
the Inception and WRN papers label their figures). A flat shape (F,) is `F` in both."""
from __future__ import annotations

TEXT_ORDER = "CxHxW"
BATCHED_TEXT_ORDER = "Nx" + TEXT_ORDER  # `summary`, whose shapes carry the batch: N x C x H x W
DIAGRAM_ORDER = "HxWxC"


def text_shape(shape) -> str:
    """(C, H, W) -> '384x35x35' (the order of every text output)."""
    return "x".join(str(d) for d in tuple(shape))


def diagram_shape(shape) -> str:
    """(C, H, W) -> '35x35x384' (the order of every diagram)."""
    shape = tuple(shape)
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}x{w}x{c}"
    return "x".join(str(d) for d in shape)
