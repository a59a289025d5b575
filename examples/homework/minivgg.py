"""MiniVGGNet as code: ``create_vgg()`` builds architectures/minivgg.yaml's network in PyTorch
(A. Rosebrock, "Deep Learning for Computer Vision with Python", Starter Bundle, ch. 15; the
book writes it in Keras: Conv2D "same", Activation, BatchNormalization, MaxPooling2D,
Dropout, Dense). Read it with cnncalc (needs torch and onnx):

    cd examples/homework
    PYTHONPATH=. cnncalc import minivgg:create_vgg --input 3x32x32   # the file it reads as
    cnncalc summarize ../../architectures/minivgg.yaml               # the table: the same figures

By hand (architectures/minivgg.yaml writes the sums out): 2,169,770 parameters, 1,408
batchnorm running statistics, 26,579,968 multiply-accumulates, output 10.
"""

from torch import nn


def vgg_block(in_channels: int, filters: int) -> list:
    """(CONV3 -> RELU -> BN) x2 -> POOL2 -> DROPOUT 0.25; the convs keep the size."""
    layers = []
    for channels in (in_channels, filters):
        layers += [nn.Conv2d(channels, filters, kernel_size=3, padding=1), nn.ReLU(), nn.BatchNorm2d(filters)]
    return layers + [nn.MaxPool2d(2), nn.Dropout(0.25)]


def create_vgg(classes: int = 10) -> nn.Module:
    """MiniVGGNet for 32x32x3 images: blocks of 32 and 64 filters, FC512, FC ``classes``."""
    return nn.Sequential(
        *vgg_block(3, 32),  # 32x32 -> 16x16
        *vgg_block(32, 64),  # 16x16 -> 8x8
        nn.Flatten(),  # 8*8*64 = 4,096
        nn.Linear(8 * 8 * 64, 512),
        nn.ReLU(),
        nn.BatchNorm1d(512),
        nn.Dropout(0.5),
        nn.Linear(512, classes),
        nn.Softmax(dim=1),
    )
