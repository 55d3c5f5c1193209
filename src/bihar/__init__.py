"""bihar: field images, French reviews and temperature forecasting, one library."""

__version__ = "0.0.0"
