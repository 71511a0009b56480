#!/usr/bin/env python3
"""Frames drawn by OpenCV itself, with ground truth, for the benchmark.

usage: draw_plain_frames.py SEED COUNT OUTDIR

Writes COUNT 1280x720 grey PNGs (OUTDIR/NNN.png): a plain grey background
with one to four DICT_4X4_50 markers (cv2.aruco.generateImageMarker, a
white margin of one cell), each 40-300 px wide face-on, tilted up to 60
degrees, then a mild Gaussian blur and sensor noise. The same SEED draws
the same frames. Prints one JSON object:
{"frames": [{"file": PATH, "markers": [{"id": N, "corners": [[x, y] x4]}]}]}
with each marker's outer corners in OpenCV's order (the marker's own
top-left, top-right, bottom-right, bottom-left), pixel centres at integers.
"""
import json
import math
import os
import sys

import cv2
import numpy as np

W, H = 1280, 720
FOCAL = (W / 2) / math.tan(math.radians(30))  # 60 degree horizontal field of view
SUPERSAMPLE = 4
CELLS = 6  # 4x4 data and the black border


def rotation(axis, angle):
    """Rotation matrix about a unit axis (Rodrigues)."""
    r, _ = cv2.Rodrigues(np.asarray(axis, dtype=np.float64) * angle)
    return r


def project(rng, width_px):
    """Corners of a square that is `width_px` wide face-on, at a random
    place in the frame, turned any way and tilted up to 60 degrees away from
    the line of sight about a random axis (None when it leaves the frame)."""
    z = 1.0
    side = width_px * z / FOCAL
    cx, cy = rng.uniform(0, W), rng.uniform(0, H)
    centre = np.array([(cx - W / 2) * z / FOCAL, (cy - H / 2) * z / FOCAL, z])
    # Face the camera first: turn the square's normal (z) onto the line of
    # sight, so the tilt is measured from there, not from the optical axis.
    sight = centre / np.linalg.norm(centre)
    axis = np.cross([0.0, 0.0, 1.0], sight)
    if np.linalg.norm(axis) > 1e-12:
        facing = rotation(axis / np.linalg.norm(axis), math.acos(sight[2]))
    else:
        facing = np.eye(3)
    tilt_axis = rng.uniform(0, 2 * math.pi)
    tilt = math.radians(rng.uniform(0, 60))
    r = (
        facing
        @ rotation([math.cos(tilt_axis), math.sin(tilt_axis), 0], tilt)
        @ rotation([0, 0, 1], rng.uniform(0, 2 * math.pi))
    )
    h = side / 2
    square = np.array([[-h, -h, 0], [h, -h, 0], [h, h, 0], [-h, h, 0]])
    points = (r @ square.T).T + centre
    if np.any(points[:, 2] <= 0.05):
        return None
    # Pixel centres at integers: the optical centre sits between the two
    # middle pixels.
    u = FOCAL * points[:, 0] / points[:, 2] + (W - 1) / 2
    v = FOCAL * points[:, 1] / points[:, 2] + (H - 1) / 2
    corners = np.stack([u, v], axis=1)
    # Keep the white margin (one cell) and a few pixels inside the frame.
    margin = width_px / CELLS + 4
    if corners[:, 0].min() < margin or corners[:, 1].min() < margin:
        return None
    if corners[:, 0].max() > W - 1 - margin or corners[:, 1].max() > H - 1 - margin:
        return None
    return corners


def draw_marker(frame, dictionary, marker_id, corners):
    """Draws the marker with its white margin into `frame` (float, in
    place), area-sampled: rendered SUPERSAMPLE times finer around the
    marker, then averaged down."""
    # The outer corners in marker-image pixels (centres at integers) of a
    # marker `px` pixels wide with a margin of one cell each side.
    cell = max(8, int(math.ceil(np.ptp(corners, axis=0).max() * SUPERSAMPLE / CELLS)))
    px = CELLS * cell
    marker = cv2.aruco.generateImageMarker(dictionary, marker_id, px, borderBits=1)
    image = cv2.copyMakeBorder(marker, cell, cell, cell, cell, cv2.BORDER_CONSTANT, value=255)
    lo, hi = -0.5 + cell, px - 0.5 + cell
    src = np.float32([[lo, lo], [hi, lo], [hi, hi], [lo, hi]])
    # The patch of the frame the marker and its margin cover.
    centre = corners.mean(axis=0)
    outer = centre + (corners - centre) * (CELLS + 2) / CELLS
    x0, y0 = np.floor(outer.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(outer.max(axis=0)).astype(int) + 3
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, W), min(y1, H)
    # Frame pixel centre c maps to fine pixel centre S*(c - x0 + 0.5) - 0.5.
    fine = (corners - [x0, y0] + 0.5) * SUPERSAMPLE - 0.5
    h = cv2.getPerspectiveTransform(src, np.float32(fine))
    size = ((x1 - x0) * SUPERSAMPLE, (y1 - y0) * SUPERSAMPLE)
    ink = cv2.warpPerspective(image.astype(np.float32), h, size, flags=cv2.INTER_LINEAR)
    cover = cv2.warpPerspective(
        np.ones(image.shape, np.float32), h, size, flags=cv2.INTER_LINEAR
    )
    down = (x1 - x0, y1 - y0)
    ink = cv2.resize(ink, down, interpolation=cv2.INTER_AREA)
    cover = cv2.resize(cover, down, interpolation=cv2.INTER_AREA)
    patch = frame[y0:y1, x0:x1]
    patch[:] = patch * (1 - cover) + ink


def overlaps(a, b):
    """Whether two markers' boxes (with their margins) come close."""
    pad = 0.25
    def box(c):
        lo, hi = c.min(axis=0), c.max(axis=0)
        d = (hi - lo) * pad
        return lo - d, hi + d
    (alo, ahi), (blo, bhi) = box(a), box(b)
    return bool(np.all(alo < bhi) and np.all(blo < ahi))


def main():
    seed, count, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    frames = []
    for index in range(count):
        grey = rng.uniform(90, 170)
        frame = np.full((H, W), grey, np.float32)
        wanted = int(rng.integers(1, 5))
        ids = [int(i) for i in rng.choice(50, size=wanted, replace=False)]
        placed = []
        for marker_id in ids:
            for _ in range(50):
                # Log-uniform widths: as many small markers as large ones.
                width = math.exp(rng.uniform(math.log(40), math.log(300)))
                corners = project(rng, width)
                if corners is not None and not any(overlaps(corners, c) for _, c in placed):
                    placed.append((marker_id, corners))
                    break
        for marker_id, corners in placed:
            draw_marker(frame, dictionary, marker_id, corners)
        sigma = rng.uniform(0.0, 1.0)
        if sigma > 0.05:
            frame = cv2.GaussianBlur(frame, (0, 0), sigma)
        frame += rng.normal(0.0, rng.uniform(0.0, 3.0), frame.shape).astype(np.float32)
        path = os.path.join(out, f"{index:03}.png")
        cv2.imwrite(path, np.clip(np.rint(frame), 0, 255).astype(np.uint8))
        frames.append(
            {
                "file": path,
                "markers": [{"id": i, "corners": c.tolist()} for i, c in placed],
            }
        )
    print(json.dumps({"frames": frames}))


if __name__ == "__main__":
    main()
