"""The OpenCV dnn_superres ESPCN peer of `npm run bench` (run with a Python that has cv2: Debian's python3-opencv).

  opencv_peer.py serve WEIGHTS_DIR FRAME THREADS
      Loads the x2, x3 and x4 ESPCN weights and decodes FRAME once, prints "ready", then for every line "x2", "x3"
      or "x4" on stdin upsamples the frame once and prints the time spent in `upsample` in ms. The bench interleaves
      these requests with its own runs, so both see the same spells of the machine.
  opencv_peer.py folder WEIGHTS_DIR IN_DIR OUT_DIR SCALE THREADS
      The folder job a user would write: read each image, upsample, write it as TIFF. Timed from outside, whole
      process (Python start-up included, as a command's would be).
"""
import os
import sys
import time

import cv2


def load(weights_dir, scale, threads):
    cv2.setNumThreads(threads)
    sr = cv2.dnn_superres.DnnSuperResImpl_create()
    sr.readModel(os.path.join(weights_dir, f"ESPCN_x{scale}.pb"))
    sr.setModel("espcn", scale)
    return sr


def serve(weights_dir, frame_path, threads):
    models = {f"x{s}": load(weights_dir, s, threads) for s in (2, 3, 4)}
    frame = cv2.imread(frame_path, cv2.IMREAD_COLOR)
    for sr in models.values():
        sr.upsample(frame)  # warm-up: first call allocates
    print("ready", flush=True)
    for line in sys.stdin:
        sr = models.get(line.strip())
        if sr is None:
            print(f"error unknown request {line.strip()!r}", flush=True)
            continue
        start = time.perf_counter()
        sr.upsample(frame)
        print(f"{(time.perf_counter() - start) * 1000:.3f}", flush=True)


def folder(weights_dir, in_dir, out_dir, scale, threads):
    sr = load(weights_dir, scale, threads)
    for name in sorted(os.listdir(in_dir)):
        image = cv2.imread(os.path.join(in_dir, name), cv2.IMREAD_COLOR)
        if image is None:
            continue
        cv2.imwrite(os.path.join(out_dir, os.path.splitext(name)[0] + ".tif"), sr.upsample(image))


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "serve":
        serve(args[0], args[1], int(args[2]))
    elif mode == "folder":
        folder(args[0], args[1], args[2], int(args[3]), int(args[4]))
    else:
        sys.exit(f"unknown mode {mode}")
