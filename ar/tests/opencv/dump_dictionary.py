#!/usr/bin/env python3
"""Prints OpenCV's DICT_4X4_50 as the u16 codes in ar/src/dictionary.rs.

Each marker is drawn at one pixel per cell (6x6 with the border); the inner
4x4 cells are read row by row from the top-left, white = 1, most
significant bit first.
"""
import cv2

d = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
codes = []
for marker_id in range(50):
    img = cv2.aruco.generateImageMarker(d, marker_id, 6)
    assert (img[0, :] == 0).all() and (img[:, 0] == 0).all(), "border must be black"
    value = 0
    for r in range(1, 5):
        for c in range(1, 5):
            value = (value << 1) | int(img[r, c] > 127)
    codes.append(value)
print(f"OpenCV {cv2.__version__}, maxCorrectionBits {d.maxCorrectionBits}")
print(", ".join(str(c) for c in codes))
