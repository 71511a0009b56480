#!/usr/bin/env python3
"""OpenCV's ArUco detector on the same frames as ridewire-ar, for comparison.

usage: aruco_opencv.py REPEATS FRAME.png...

Prints one JSON object: {"version": OpenCV version, "ms_per_frame": mean
detection time (best of REPEATS passes over all frames, timed with timeit),
"frames": [{"file": PATH, "markers": [{"id": N, "corners": [[x, y] x4]}]}]}.
Dictionary DICT_4X4_50, default DetectorParameters except
cornerRefinementMethod = CORNER_REFINE_SUBPIX.
"""
import json
import sys
import timeit

import cv2


def main():
    repeats = int(sys.argv[1])
    paths = sys.argv[2:]
    images = [cv2.imread(p, cv2.IMREAD_GRAYSCALE) for p in paths]
    for p, img in zip(paths, images):
        if img is None:
            sys.exit(f"cannot read {p}")
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    detector = cv2.aruco.ArucoDetector(dictionary, params)
    # One thread, like ridewire-ar's detector: compare like with like.
    cv2.setNumThreads(1)

    frames = []
    for p, img in zip(paths, images):
        corners, ids, _ = detector.detectMarkers(img)
        markers = []
        if ids is not None:
            for c, i in zip(corners, ids.flatten()):
                markers.append({"id": int(i), "corners": c.reshape(4, 2).tolist()})
        frames.append({"file": p, "markers": markers})

    def one_pass():
        for img in images:
            detector.detectMarkers(img)

    ms = 0.0
    if repeats > 0 and images:
        best = min(timeit.repeat(one_pass, number=1, repeat=repeats))
        ms = best * 1000.0 / len(images)
    print(json.dumps({"version": cv2.__version__, "ms_per_frame": ms, "frames": frames}))


if __name__ == "__main__":
    main()
