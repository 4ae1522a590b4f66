"""check_image.py PNG MIN_WIDTH MIN_HEIGHT: the file is a PNG at least that large whose pixels are not
blank (enough of them differ from the background, in several colours)."""

import sys

import matplotlib.image as mpimg
import numpy as np

path, min_w, min_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "rb") as f:
    if f.read(8) != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
img = mpimg.imread(path)[..., :3]
h, w = img.shape[:2]
if w < min_w or h < min_h:
    sys.exit(f"{path}: {w}x{h}, want at least {min_w}x{min_h}")
background = np.median(img.reshape(-1, 3), axis=0)
ink = np.abs(img - background).sum(axis=2) > 0.1
colours = {tuple(c) for c in (img[ink] * 15).round().astype(int)}
if ink.mean() < 0.01 or len(colours) < 3:
    sys.exit(f"{path}: looks blank ({ink.mean():.2%} non-background pixels, {len(colours)} colours)")
print(f"{w}x{h} {ink.mean():.1%} ink {len(colours)} colours")
