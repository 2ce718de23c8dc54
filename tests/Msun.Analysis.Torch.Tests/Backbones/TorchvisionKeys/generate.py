# Writes <registry name>.txt: torchvision's state_dict keys and shapes ("key 64x3x7x7"), the reference the
# backbone contract tests compare against. Made with Debian 12's python3-torchvision 0.14.1 (apt-get install
# python3-torchvision); run from this folder with /usr/bin/python3 generate.py. Not run by the tests.
from torchvision import models

MODELS = {
    "resnet18": lambda: models.resnet18(),
    "resnet50": lambda: models.resnet50(),
    "vgg16-bn": lambda: models.vgg16_bn(),
    "densenet121": lambda: models.densenet121(),
    "mobilenetv2": lambda: models.mobilenet_v2(),
    "resnext50-32x4d": lambda: models.resnext50_32x4d(),
    # googlenet() without weights builds the auxiliary heads; its published 6,624,904 parameters are without them.
    "googlenet": lambda: models.googlenet(aux_logits=False, init_weights=False),
    # inception_v3's published 27,161,264 parameters include AuxLogits (its pretrained weights keep it).
    "inception-v3": lambda: models.inception_v3(aux_logits=True, init_weights=False),
    "alexnet": lambda: models.alexnet(),
}

for name, build in MODELS.items():
    with open(f"{name}.txt", "w") as f:
        for key, value in build().state_dict().items():
            f.write(f"{key} {'x'.join(str(d) for d in value.shape) or 'scalar'}\n")
