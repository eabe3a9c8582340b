"""The tensor as a cube of N × C × (H·W) voxels, one group shaded: the Group Normalization paper's figure.

Pure: arrays in, a Plotly 3-D figure out (no Streamlit).  Axis x is the sample n, axis y the
channel c, axis z the location p = h·W + w (the spatial axes flattened, as in the paper's
figure).  The box's surface shows every group in its group-map colour; the selected cell's group
is drawn as the surface of its voxels (only faces between a member and a non-member, so a block of
voxels costs its outline, not its volume) with the rest of the box made pale and see-through.  Sizes are capped (:data:`MAX_EXTENT`) so a figure stays light.
"""

from __future__ import annotations

import itertools

import numpy as np
import plotly.graph_objects as go

from .groupmap import _PALETTE_RGB, PALETTE, colour_groups
from .groups import _discrete_scale

#: At most this many samples, channels and locations (h·W + w) are drawn.
MAX_EXTENT = (16, 16, 64)
GROUP_COLOUR = PALETTE[4]
CELL_COLOUR = PALETTE[5]


def cube_extent(shape: tuple) -> tuple:
    """How many samples, channels and locations of an (N, C, H, W) tensor the cube draws."""
    n, c, h, w = shape
    return tuple(min(size, cap) for size, cap in zip((n, c, h * w), MAX_EXTENT))


def boundary_faces(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The outer surface of the voxels where ``mask`` is True, as triangles.

    Parameters
    ----------
    mask : ndarray of bool, shape (X, Y, Z)
        Voxel (i, j, k) spans [i, i+1] × [j, j+1] × [k, k+1].

    Returns
    -------
    vertices : ndarray of float32, shape (4 F, 3)
        Four corners per face, F faces: one for every side a member voxel shares with a
        non-member or with the outside.
    triangles : ndarray of int32, shape (2 F, 3)
        Two triangles per face, indexing ``vertices``.
    """
    mask = np.asarray(mask, dtype=bool)
    padded = np.pad(mask, 1)
    corners = []
    for axis in range(3):
        # A face at coordinate t along ``axis`` where the voxels on either side differ.
        lower = np.take(padded, range(0, padded.shape[axis] - 1), axis=axis)
        upper = np.take(padded, range(1, padded.shape[axis]), axis=axis)
        differ = lower != upper
        other = [a for a in range(3) if a != axis]
        interior = tuple(slice(None) if a == axis else slice(1, -1) for a in range(3))
        where = np.nonzero(differ[interior])
        # Face coordinate t along ``axis`` (between voxels t-1 and t); u, v: the voxel beside it.
        t, u, v = where[axis], where[other[0]], where[other[1]]
        squares = np.zeros((len(t), 4, 3), dtype=np.float32)
        squares[:, :, axis] = t[:, None]
        for k, (du, dv) in enumerate(((0, 0), (1, 0), (1, 1), (0, 1))):
            squares[:, k, other[0]] = u + du
            squares[:, k, other[1]] = v + dv
        corners.append(squares)
    squares = np.concatenate(corners) if corners else np.zeros((0, 4, 3), np.float32)
    base = 4 * np.arange(len(squares), dtype=np.int32)[:, None]
    triangles = np.concatenate([base + [0, 1, 2], base + [0, 2, 3]])
    return squares.reshape(-1, 3), triangles.astype(np.int32)


def intervals(flags: np.ndarray) -> list[tuple[int, int]]:
    """The runs of True in a 1-D boolean array, as half-open (start, stop) pairs."""
    flags = np.concatenate([[False], np.asarray(flags, dtype=bool), [False]])
    edges = np.flatnonzero(flags[1:] != flags[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def product_boxes(mask: np.ndarray) -> list[tuple] | None:
    """``mask`` as disjoint boxes when it is a product of one set per axis, else None.

    Every scheme's group is such a product in (n, c, p): a set of samples times a set of
    channels times a set of locations.  Each set is a union of runs, so the group is the union of
    the boxes run × run × run, separated by gaps: the group's surface is the boxes' surfaces.

    Returns
    -------
    list of ((x0, x1), (y0, y1), (z0, z1)), or None
        Half-open voxel ranges; an empty list for an empty mask.
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return []
    projections = [mask.any(axis=tuple(a for a in range(3) if a != axis)) for axis in range(3)]
    product = projections[0][:, None, None] & projections[1][None, :, None]
    if not np.array_equal(mask, product & projections[2][None, None, :]):
        return None
    return list(itertools.product(*(intervals(p) for p in projections)))


def box_faces(boxes) -> tuple[np.ndarray, np.ndarray]:
    """Six faces per box (as :func:`boundary_faces` returns them: vertices and triangles)."""
    unit, triangles = boundary_faces(np.ones((1, 1, 1), dtype=bool))
    vertices = [
        np.float32([x0, y0, z0]) + unit * np.float32([x1 - x0, y1 - y0, z1 - z0])
        for (x0, x1), (y0, y1), (z0, z1) in boxes
    ]
    triangles = [triangles + 24 * k for k in range(len(boxes))]
    return np.concatenate(vertices), np.concatenate(triangles)


def box_grid(boxes) -> tuple:
    """The voxel grid drawn on the boxes' surfaces: around each box, a loop at every integer
    coordinate of each axis, as line points with NaN breaks."""
    loops = []
    for box in boxes:
        for axis in range(3):
            a, b = (k for k in range(3) if k != axis)
            (a0, a1), (b0, b1) = box[a], box[b]
            for t in range(box[axis][0], box[axis][1] + 1):
                loop = np.full((6, 3), np.nan, dtype=np.float32)
                loop[:5, axis] = t
                loop[:5, a] = (a0, a1, a1, a0, a0)
                loop[:5, b] = (b0, b0, b1, b1, b0)
                loops.append(loop)
    points = np.concatenate(loops) if loops else np.zeros((0, 3), np.float32)
    return points[:, 0], points[:, 1], points[:, 2]


def _mesh(vertices, triangles, colour, opacity, name) -> go.Mesh3d:
    return go.Mesh3d(
        x=vertices[:, 0],
        y=vertices[:, 1],
        z=vertices[:, 2],
        i=triangles[:, 0],
        j=triangles[:, 1],
        k=triangles[:, 2],
        color=colour,
        opacity=opacity,
        flatshading=True,
        lighting={"ambient": 0.6, "diffuse": 0.6, "specular": 0.05},
        hoverinfo="skip",
        name=name,
        showlegend=False,
    )


def _lines(points: tuple, colour: str, width: float) -> go.Scatter3d:
    """Line points (x, y, z), None or NaN breaking the line, drawn as one trace without hover."""
    x, y, z = points
    return go.Scatter3d(
        x=x,
        y=y,
        z=z,
        mode="lines",
        line={"color": colour, "width": width},
        hoverinfo="skip",
        showlegend=False,
    )


def _face_edges(vertices: np.ndarray) -> tuple:
    """The outline of every face (four corners back to the first, then a break) as line points."""
    squares = vertices.reshape(-1, 4, 3)
    loops = np.concatenate([squares, squares[:, :1], np.full((len(squares), 1, 3), np.nan)], 1)
    points = loops.reshape(-1, 3)
    return points[:, 0], points[:, 1], points[:, 2]


def _box_edges(extent: tuple) -> tuple:
    """The twelve edges of the box [0, X] × [0, Y] × [0, Z], as line points with breaks."""
    x, y, z = extent
    xs, ys, zs = [], [], []
    corners = [(a, b, c) for a in (0, x) for b in (0, y) for c in (0, z)]
    for p in corners:
        for q in corners:
            if p < q and sum(u != v for u, v in zip(p, q)) == 1:
                for seq, a, b in ((xs, p[0], q[0]), (ys, p[1], q[1]), (zs, p[2], q[2])):
                    seq += [a, b, None]
    return xs, ys, zs


def surface_faces(extent: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The outer surface of a box of ``extent`` voxels, one square per voxel side, with its voxel.

    Returns
    -------
    vertices : ndarray of float32, shape (4 F, 3)
    triangles : ndarray of int32, shape (2 F, 3)
    voxel : ndarray of int, shape (F, 3)
        The voxel (i, j, k) each face belongs to (its two triangles are ``f`` and ``F + f``).
    """
    squares, owners = [], []
    for axis in range(3):
        other = [a for a in range(3) if a != axis]
        u, v = np.meshgrid(np.arange(extent[other[0]]), np.arange(extent[other[1]]), indexing="ij")
        u, v = u.ravel(), v.ravel()
        for side, t in ((0, 0), (extent[axis] - 1, extent[axis])):
            face = np.zeros((len(u), 4, 3), dtype=np.float32)
            face[:, :, axis] = t
            owner = np.zeros((len(u), 3), dtype=np.int64)
            owner[:, axis] = side
            owner[:, other[0]], owner[:, other[1]] = u, v
            for k, (du, dv) in enumerate(((0, 0), (1, 0), (1, 1), (0, 1))):
                face[:, k, other[0]] = u + du
                face[:, k, other[1]] = v + dv
            squares.append(face)
            owners.append(owner)
    squares = np.concatenate(squares)
    base = 4 * np.arange(len(squares), dtype=np.int32)[:, None]
    triangles = np.concatenate([base + [0, 1, 2], base + [0, 2, 3]]).astype(np.int32)
    return squares.reshape(-1, 3), triangles, np.concatenate(owners)


def _ticks(size: int) -> dict:
    """Ticks at voxel centres, labelled 0..size-1: at most 5, so the labels never run together
    (the N and C axes are short on screen)."""
    step = max(1, int(np.ceil(size / 5)))
    values = list(range(0, size, step))
    return {"tickvals": [v + 0.5 for v in values], "ticktext": [str(v) for v in values]}


def group_cube_figure(
    labels: np.ndarray,
    cell: tuple | None,
    *,
    title: str | None = None,
    height: int = 360,
) -> go.Figure:
    """The cube of N × C × (H·W) voxels with the group of ``cell`` shaded.

    Parameters
    ----------
    labels : ndarray of int, shape (N, C, H, W)
        Every cell's group label (the whole tensor; only :func:`cube_extent` of it is drawn).
    cell : tuple (n, c, h, w) or None
        The selected cell; its group is shaded and its own voxel drawn in a second colour.  None
        draws the empty cube.
    title : str, optional
    height : int
        Pixels.

    Returns
    -------
    go.Figure
        A 3-D scene (rotatable): the box's surface coloured by group (pale and see-through when a
        cell is selected), its edges, the group's surface with its voxel outlines, and the cell's
        voxel.  ``layout.meta`` holds ``drawn`` (the drawn extent),
        ``members`` (drawn voxels in the group) and ``cell_drawn`` (whether the cell's voxel is
        among them).
    """
    labels = np.asarray(labels)
    n, c, h, w = labels.shape
    extent = cube_extent(labels.shape)
    voxels = labels.reshape(n, c, h * w)[: extent[0], : extent[1], : extent[2]]
    # Every group in its map colour on the box's surface (pale while a group is selected): one
    # palette index per face, sent as a typed array and coloured by a discrete scale.
    cells = np.asarray(colour_groups(labels[: extent[0], : extent[1]]))
    index = cells.reshape(extent[0], extent[1], h * w)[:, :, : extent[2]]
    surface_vertices, surface_triangles, owner = surface_faces(extent)
    # Corners shared by neighbouring faces once, in small integer types: a light figure.
    surface_vertices, inverse = np.unique(surface_vertices, axis=0, return_inverse=True)
    surface_vertices = surface_vertices.astype(np.uint8 if max(extent) < 255 else np.int32)
    surface_triangles = inverse.reshape(-1)[surface_triangles].astype(np.int32)
    if len(surface_vertices) < 2**15:
        surface_triangles = surface_triangles.astype(np.int16)
    face_index = index[owner[:, 0], owner[:, 1], owner[:, 2]].astype(np.uint8)
    colours = _PALETTE_RGB if cell is None else 0.35 * _PALETTE_RGB + 0.65 * 255
    scale = _discrete_scale([f"rgb({r},{g},{b})" for r, g, b in colours.round().astype(int)])
    traces = [
        go.Mesh3d(
            x=np.ascontiguousarray(surface_vertices[:, 0]),
            y=np.ascontiguousarray(surface_vertices[:, 1]),
            z=np.ascontiguousarray(surface_vertices[:, 2]),
            i=np.ascontiguousarray(surface_triangles[:, 0]),
            j=np.ascontiguousarray(surface_triangles[:, 1]),
            k=np.ascontiguousarray(surface_triangles[:, 2]),
            intensity=np.concatenate([face_index, face_index]),
            intensitymode="cell",
            colorscale=scale,
            cmin=-0.5,
            cmax=len(colours) - 0.5,
            showscale=False,
            flatshading=True,
            opacity=1.0 if cell is None else 0.25,
            hoverinfo="skip",
            name="groups",
            showlegend=False,
        )
    ]
    traces.append(_lines(_box_edges(extent), "rgba(90,90,90,0.6)", 2))
    members = 0
    cell_drawn = False
    if cell is not None:
        group = labels[tuple(cell)]
        mask = voxels == group
        members = int(mask.sum())
        if members:
            boxes = product_boxes(mask)
            if boxes is not None:
                vertices, triangles = box_faces(boxes)
                edges = box_grid(boxes)
            else:
                vertices, triangles = boundary_faces(mask)
                edges = _face_edges(vertices)
            traces.append(_mesh(vertices, triangles, GROUP_COLOUR, 0.85, "group"))
            traces.append(_lines(edges, "rgba(255,255,255,0.7)", 1))
        position = (cell[0], cell[1], cell[2] * w + cell[3])
        cell_drawn = all(i < k for i, k in zip(position, extent))
        if cell_drawn:
            one = np.zeros(extent, dtype=bool)
            one[position] = True
            vertices, triangles = boundary_faces(one)
            traces.append(_mesh(vertices, triangles, CELL_COLOUR, 1.0, "cell"))
    fig = go.Figure(traces)
    ratio = np.array(extent, dtype=float) / max(extent)
    aspect = dict(zip("xyz", np.maximum(ratio, 0.5).round(3).tolist()))
    axis = {"showbackground": False, "showspikes": False, "zeroline": False}
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 0, "r": 0, "t": 30 if title else 0, "b": 0},
        meta={"drawn": list(extent), "members": members, "cell_drawn": cell_drawn},
        scene={
            "xaxis": {**axis, "title": {"text": "N"}, "range": [0, extent[0]], **_ticks(extent[0])},
            "yaxis": {**axis, "title": {"text": "C"}, "range": [0, extent[1]], **_ticks(extent[1])},
            "zaxis": {
                **axis,
                "title": {"text": "H·W"},
                "range": [0, extent[2]],
                **_ticks(extent[2]),
            },
            "aspectmode": "manual",
            "aspectratio": aspect,
            "camera": {"eye": {"x": 1.5, "y": -1.4, "z": 0.7}},
        },
        showlegend=False,
    )
    return fig
