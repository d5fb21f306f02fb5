"""Writes the first 100 of scikit-learn's 8x8 handwritten digits as .npy files.

Source: scikit-learn's bundled copy (sklearn.datasets.load_digits) of the test set of the UCI
"Optical Recognition of Handwritten Digits" data (E. Alpaydin, C. Kaynak, 1998), whose pixels
are integer counts 0..16. scikit-learn is BSD-3-Clause licensed; the UCI data set is licensed
CC BY 4.0 (https://archive.ics.uci.edu/dataset/80). See README.md in this directory.

    python3 make_digits.py   # writes X.npy (100, 1, 8, 8) uint8 and labels.npy (100,) uint8
"""
import numpy as np
from sklearn.datasets import load_digits

digits = load_digits()
n = 100
X = digits.images[:n].astype(np.uint8).reshape(n, 1, 8, 8)
assert np.array_equal(X.reshape(n, 64), digits.data[:n])  # integer pixels, exact
labels = digits.target[:n].astype(np.uint8)
np.save("X.npy", X)
np.save("labels.npy", labels)
print("X", X.shape, X.dtype, "pixels", X.min(), "..", X.max(), "labels", np.bincount(labels))
