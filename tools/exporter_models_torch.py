"""The PyTorch architectures of tools/make_exporter_models.py: small, randomly initialised (fixed
seed) versions of what people deploy, each built from the layers a real model of its family uses,
so the exporter emits the same ONNX patterns (SE blocks, hardswish, MBConv, attention, masked
attention, LSTM/GRU). Weights are random but not degenerate: BatchNorm statistics are randomised
too, so no layer is an identity and every op's arithmetic shows in the outputs.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F


def randomize_bn(model, gen):
    # Fresh BatchNorm layers have mean 0, var 1, weight 1, bias 0: an identity that hides mistakes
    # in folding or in the op. Give them values of a trained network's order of magnitude.
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) * 0.5 + 0.75)
                m.weight.copy_(torch.rand(m.num_features, generator=gen) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
    return model


# ---- 1. CNN with squeeze-excitation blocks ------------------------------------------------------
class SqueezeExcite(nn.Module):
    def __init__(self, ch, reduced, act=nn.ReLU, gate=nn.Sigmoid):
        super().__init__()
        self.fc1 = nn.Conv2d(ch, reduced, 1)
        self.act = act()
        self.fc2 = nn.Conv2d(reduced, ch, 1)
        self.gate = gate()

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)  # GlobalAveragePool (or ReduceMean) in ONNX
        return x * self.gate(self.fc2(self.act(self.fc1(s))))


class SEBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.se = SqueezeExcite(cout, max(4, cout // 4))
        self.short = None if cin == cout and stride == 1 else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.se(self.bn2(self.conv2(y)))
        return F.relu(y + (x if self.short is None else self.short(x)))


class SECNN(nn.Module):
    # matmul_head: the classifier as MatMul + Add instead of Gemm (ORT's QOperator quantizer turns
    # a Gemm into com.microsoft's QGemm but a MatMul into the standard QLinearMatMul).
    def __init__(self, classes=10, matmul_head=False):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.blocks = nn.Sequential(SEBlock(16, 16, 1), SEBlock(16, 32, 2), SEBlock(32, 48, 2))
        self.matmul_head = matmul_head
        self.fc = nn.Linear(48, classes)

    def forward(self, x):
        y = self.blocks(self.stem(x))
        y = torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)
        if self.matmul_head:
            return torch.matmul(y, self.fc.weight.t()) + self.fc.bias
        return self.fc(y)


# ---- 2. MobileNetV3-small style -----------------------------------------------------------------
class InvertedResidualV3(nn.Module):
    def __init__(self, cin, k, exp, cout, se, act, stride):
        super().__init__()
        Act = nn.Hardswish if act == "HS" else nn.ReLU
        layers = []
        if exp != cin:
            layers += [nn.Conv2d(cin, exp, 1, bias=False), nn.BatchNorm2d(exp), Act()]
        layers += [nn.Conv2d(exp, exp, k, stride, k // 2, groups=exp, bias=False), nn.BatchNorm2d(exp), Act()]
        if se:  # MobileNetV3's SE: ReLU then hardsigmoid, reduced to a multiple of 8
            layers.append(SqueezeExcite(exp, max(8, (exp // 4 + 7) // 8 * 8), nn.ReLU, nn.Hardsigmoid))
        layers += [nn.Conv2d(exp, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


class MobileNetV3Small(nn.Module):
    # torchvision's mobilenet_v3_small configuration (kernel, expansion, out, SE, activation,
    # stride), channels scaled by 1/4 and the last blocks dropped to stay small.
    CFG = [(3, 16, 16, True, "RE", 2), (3, 72, 24, False, "RE", 2), (3, 88, 24, False, "RE", 1),
           (5, 96, 40, True, "HS", 2), (5, 240, 40, True, "HS", 1), (5, 120, 48, True, "HS", 1)]

    def __init__(self, classes=10, width=0.25):
        super().__init__()
        c = lambda v: max(8, int(v * width + 4) // 8 * 8)
        layers = [nn.Conv2d(3, c(16), 3, 2, 1, bias=False), nn.BatchNorm2d(c(16)), nn.Hardswish()]
        cin = c(16)
        for k, exp, out, se, act, s in self.CFG:
            layers.append(InvertedResidualV3(cin, k, c(exp), c(out), se, act, s))
            cin = c(out)
        last = c(288)
        layers += [nn.Conv2d(cin, last, 1, bias=False), nn.BatchNorm2d(last), nn.Hardswish()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(last, 64), nn.Hardswish(), nn.Dropout(0.2), nn.Linear(64, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


# ---- 3. EfficientNet-style MBConv ---------------------------------------------------------------
class MBConv(nn.Module):
    def __init__(self, cin, cout, expand, k, stride):
        super().__init__()
        mid = cin * expand
        layers = []
        if expand != 1:
            layers += [nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.SiLU()]
        layers += [nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False), nn.BatchNorm2d(mid), nn.SiLU(),
                   SqueezeExcite(mid, max(1, cin // 4), nn.SiLU, nn.Sigmoid),
                   nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


class EfficientNetTiny(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.SiLU())
        self.blocks = nn.Sequential(MBConv(16, 16, 1, 3, 1), MBConv(16, 24, 4, 3, 2), MBConv(24, 24, 4, 3, 1),
                                    MBConv(24, 40, 4, 5, 2), MBConv(40, 40, 4, 5, 1))
        self.head = nn.Sequential(nn.Conv2d(40, 128, 1, bias=False), nn.BatchNorm2d(128), nn.SiLU())
        self.fc = nn.Linear(128, classes)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.head(self.blocks(self.stem(x))), 1), 1))


# ---- 4. ViT-style image transformer -------------------------------------------------------------
class TinyViT(nn.Module):
    def __init__(self, classes=10, img=32, patch=4, dim=48, depth=2, heads=4):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, patch, patch)
        n = (img // patch) ** 2
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, dim * 2, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        y = self.patch(x).flatten(2).transpose(1, 2)
        y = torch.cat([self.cls.expand(y.shape[0], -1, -1), y], dim=1) + self.pos
        y = self.norm(self.encoder(y))
        return self.head(y[:, 0])


# ---- 5. BERT-style text classifier --------------------------------------------------------------
class BertLayer(nn.Module):
    def __init__(self, dim, heads, ff):
        super().__init__()
        self.heads = heads
        self.qkv = nn.ModuleList([nn.Linear(dim, dim) for _ in range(3)])
        self.out = nn.Linear(dim, dim)
        self.ln1 = nn.LayerNorm(dim, eps=1e-12)
        self.ff1 = nn.Linear(dim, ff)
        self.ff2 = nn.Linear(ff, dim)
        self.ln2 = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, x, ext_mask):
        b, s, d = x.shape
        h = self.heads
        q, k, v = [p(x).view(b, s, h, d // h).transpose(1, 2) for p in self.qkv]
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d // h) + ext_mask
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(b, s, d)
        x = self.ln1(x + self.out(ctx))
        return self.ln2(x + self.ff2(F.gelu(self.ff1(x))))


class TinyBert(nn.Module):
    def __init__(self, vocab=512, max_len=32, dim=64, heads=4, depth=2, classes=3):
        super().__init__()
        self.word = nn.Embedding(vocab, dim)
        self.position = nn.Embedding(max_len, dim)
        self.token_type = nn.Embedding(2, dim)
        self.ln = nn.LayerNorm(dim, eps=1e-12)
        self.layers = nn.ModuleList([BertLayer(dim, heads, dim * 2) for _ in range(depth)])
        self.pooler = nn.Linear(dim, dim)
        self.classifier = nn.Linear(dim, classes)

    def forward(self, input_ids, attention_mask):
        s = input_ids.shape[1]
        pos = torch.arange(s, device=input_ids.device).unsqueeze(0)
        x = self.word(input_ids) + self.position(pos) + self.token_type(torch.zeros_like(input_ids))
        x = self.ln(x)
        # HuggingFace's extended mask: 0 where attended, a large negative number where masked.
        ext = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.layers:
            x = layer(x, ext)
        return self.classifier(torch.tanh(self.pooler(x[:, 0])))


# ---- 6, 7. recurrent classifiers ----------------------------------------------------------------
class RNNClassifier(nn.Module):
    def __init__(self, cell="lstm", features=16, hidden=32, classes=5, layers=1):
        super().__init__()
        R = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = R(features, hidden, num_layers=layers, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1])


def build(name, gen):
    """The model called `name`, initialised from `gen` (torch.Generator), in eval mode."""
    torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
    m = {"se_cnn": lambda: SECNN(), "se_cnn_matmul_head": lambda: SECNN(matmul_head=True),
         "mobilenet_v3_small": lambda: MobileNetV3Small(), "efficientnet_mbconv": lambda: EfficientNetTiny(),
         "vit_tiny": lambda: TinyViT(), "bert_tiny": lambda: TinyBert(),
         "lstm_classifier": lambda: RNNClassifier("lstm"), "gru_classifier": lambda: RNNClassifier("gru")}[name]()
    return randomize_bn(m, gen).eval()
