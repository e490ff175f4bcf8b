"""The reproduction report (notebook 09): every claim the book checked, the paper's figure, ours.

Each claim is recomputed from the package (costs, depth, crops) or read from what notebooks 03, 06, 07 and 08
saved with `results.save_result`; the paper's side comes from `googlenet.paper`, never retyped. A claim whose
notebook has not run here is "未运行", not guessed."""

from __future__ import annotations

import html
from dataclasses import dataclass

import torch

from .. import paper
from ..cost import layer_costs, network_depth, table1_report, total_cost
from ..crops import views
from ..model import GoogLeNet, Inception, NaiveInception
from . import experiments
from .budget import ALEXNET_2012_INPUT, alexnet_2012
from .results import RUN_DIR, load_result
from .sparse import chain_cost

CONFIRMED, DIFFERS, PARTLY, NOT_RUN = "证实", "不符", "部分证实", "未运行"
UNDECIDED = "无法判定"  # a measured difference that no test decides (one run, no seeds, or p ≥ 0.05)
NOT_SIGNIFICANT = "差异不显著"  # a paired test over several seeds or models finds no difference at p < 0.05
_COLOUR = {CONFIRMED: "#d9ead3", PARTLY: "#fff2cc", DIFFERS: "#f4cccc", NOT_SIGNIFICANT: "#eeeeee",
           UNDECIDED: "#eeeeee", NOT_RUN: "#eeeeee"}  # also the order of the counts
ALPHA = 0.05
NOISE = 0.005  # two accuracies of one short run closer than this (15 of 3,000 test images) count as equal


@dataclass(frozen=True)
class Claim:
    section: str  # "§1"
    claim: str  # the paper's statement, in Chinese
    paper: str  # the paper's figure as printed
    ours: str  # what the book measured
    verdict: str  # 证实 / 部分证实 / 不符 / 差异不显著 / 无法判定 / 未运行
    why: str  # one line: why the verdict, or which notebook to run
    notebook: str  # where the book checks it
    varies: bool = False  # measured on this machine (timings, training): differs between runs

    def to_text(self) -> str:
        return (f"{self.section}  {self.claim}  【{self.verdict}】\n"
                f"    论文：{self.paper}    本书：{self.ours}    笔记本 {self.notebook}\n"
                f"    {self.why}")


def _verdict(ok: bool) -> str:
    return CONFIRMED if ok else DIFFERS


def _from_test(verdict: str) -> str:
    """The report's word for a verdict written by a committed experiment's paired test."""
    return {"证实": CONFIRMED, "不符": DIFFERS, "差异不显著": NOT_SIGNIFICANT}[experiments.verdict_word(verdict)]


def _points(gain: float) -> str:
    """A difference of two accuracies, in percentage points."""
    return f"{gain * 100:+.1f} 个百分点"


def _budget(ops: int) -> Claim:
    budget = paper.INFERENCE_BUDGET_MULTIPLY_ADDS
    return Claim("§1", "推理时的计算预算约 15 亿次乘加", f"{budget / 1e9:g}×10⁹", f"{ops / 1e9:.2f}×10⁹",
                 _verdict(abs(ops / budget - 1) <= 0.1),
                 f"按表 1 的结构精确计算多 {ops / budget - 1:.1%}，几乎全部来自第一层卷积", "01")


def _twelve_times(ours: int) -> Claim:
    alexnet = total_cost(alexnet_2012(), ALEXNET_2012_INPUT).params
    ratio = alexnet / ours
    return Claim("§1", "参数比 AlexNet 少 12 倍", f"{paper.FEWER_PARAMETERS_THAN_ALEXNET}×", f"{ratio:.1f}×",
                 _verdict(ratio >= 0.9 * paper.FEWER_PARAMETERS_THAN_ALEXNET),
                 f"AlexNet {alexnet / 1e6:.1f}M 个权重，GoogLeNet {ours / 1e6:.2f}M 个（推理时，不计偏置）", "01")


def _one_by_one_is_fully_connected() -> Claim:
    torch.manual_seed(0)
    conv, fc = torch.nn.Conv2d(16, 8, 1), torch.nn.Linear(16, 8)
    with torch.no_grad():
        fc.weight.copy_(conv.weight.view(8, 16))
        fc.bias.copy_(conv.bias)
        x = torch.randn(2, 16, 5, 5)
        gap = (conv(x) - fc(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)).abs().max().item()
    ok = gap < 1e-5  # float rounding, whose digits vary with the CPU's kernels: shown as a bound
    return Claim("§2", "1×1 卷积即在每个像素上作用的全连接层（网中网）", "—",
                 "最大差 < 1e-5" if ok else f"最大差 {gap:.1e}", _verdict(ok),
                 "同样的权重，两种算法的输出逐元素相同（误差 < 1e-5，浮点舍入）", "02")


def _quadratic_widening() -> Claim:
    ratio = chain_cost(128).second / chain_cost(64).second
    return Claim("§3", "两个相连的卷积层同时加宽，计算量按平方增长", "平方增长", f"宽度 ×2 → 第二层乘加 ×{ratio:g}",
                 _verdict(ratio == 4), "第二层的乘加与两层宽度之积成正比", "03")


def _sparse(results_dir) -> Claim:
    saved = load_result("sparse", results_dir)
    claim, printed = "即使运算量减少 100 倍，换用稀疏矩阵也不划算", "运算减少 100 倍（密度 1%）仍不划算"
    if saved is None:
        return Claim("§3", claim, printed, "—", NOT_RUN, "先运行笔记本 03（它保存计时结果）", "03", varies=True)
    speedup, even = saved["csr_speedup_at_1pct"], saved["break_even_density"]
    ours = f"密度 1% 时 CSR 是稠密的 {speedup:.1f} 倍快" + (f"；密度 ≤ {even:.0%} 起就更快" if even else "")
    return Claim("§3", claim, printed, ours, _verdict(speedup <= 1),
                 "在运行笔记本 03 的这台 CPU 上（PyTorch 的 CSR 乘法，单线程）；2014 年的库与硬件不同", "03", varies=True)


def _reduction_saves() -> Claim:
    row = paper.table1_row("inception3a")
    c_in, size = paper.table1_row("maxpool2").output[2], row.output[0]
    n1, _, n3, _, n5, _ = row.inception_args
    naive, reduced = (sum(c.multiply_adds for c in layer_costs(m, (c_in, size, size)))
                      for m in (NaiveInception(c_in, n1, n3, n5), Inception(c_in, *row.inception_args)))
    return Claim("§4", "1×1 卷积降维避免计算量爆炸", "—",
                 f"3a：朴素 {naive / 1e6:.0f}M → 降维后 {reduced / 1e6:.0f}M 次乘加（{naive / reduced:.1f}×）",
                 _verdict(reduced < naive), "朴素模块的输出还会多出池化分支的全部通道，逐级累积", "04、04b")


def _table1(report) -> list[Claim]:
    sizes_ok = all(r.output_matches for r in report.rows)
    bad = [r.row.label for r in report.discrepancies()]
    printed = [r for r in report.rows if r.row.params or r.row.ops]
    return [Claim("§5", "表 1 各行的输出尺寸", f"{len(report.rows)} 行", "全部一致" if sizes_ok else "有不一致",
                  _verdict(sizes_ok), "由前向传播在 224×224 输入上测得", "05"),
            Claim("§5", "表 1 的参数量与运算量", f"{len(printed)} 行有数字", f"{len(printed) - len(bad)} 行一致，"
                  f"{len(bad)} 行有出入", PARTLY if bad else CONFIRMED, "有出入：" + "、".join(bad), "05")]


def _depth(model: GoogLeNet) -> Claim:
    d, p = network_depth(model), network_depth(model, count_pooling=True)
    ok = (d, p) == (paper.DEPTH_WITH_PARAMETERS, paper.DEPTH_WITH_POOLING)
    return Claim("§5", "带参数的层 22 层，计入池化 27 层", f"{paper.DEPTH_WITH_PARAMETERS} / {paper.DEPTH_WITH_POOLING}",
                 f"{d} / {p}", _verdict(ok), "沿最长路径数，Inception 模块取最深的分支", "05")


def _aux_shapes(model: GoogLeNet) -> Claim:
    shapes = [tuple(head.pool(torch.zeros(1, paper.table1_row(attached).output[2], 14, 14)).shape[1:])
              for head, attached in zip((model.aux1, model.aux2), paper.AUX.attached_to)]
    return Claim("§5", "辅助分类器的 5×5/3 平均池化输出 4×4×512（4a）与 4×4×528（4d）", "4×4×512、4×4×528",
                 "、".join(f"{s[1]}×{s[2]}×{s[0]}" for s in shapes), _verdict(shapes == [(512, 4, 4), (528, 4, 4)]),
                 "在 224×224 输入的 14×14 特征图上测得", "05")


def _crops() -> Claim:
    n = views(torch.zeros(3, 256, 341), 144, crop_size=224).shape[0]
    return Claim("§7", "每张图像 4×3×6×2 = 144 个裁剪", f"{paper.TESTING.crops_per_image}", f"{n}",
                 _verdict(n == paper.TESTING.crops_per_image), "googlenet.crops.views 按第 7 节生成", "07")


def _relative_reduction() -> Claim:
    supervision, clarifai = (min(r.top5_error for r in paper.TABLE2 if r.team == team)
                             for team in ("SuperVision", "Clarifai"))
    ours = next(r.top5_error for r in paper.TABLE2 if r.team == "GoogLeNet")
    a, b = 1 - ours / supervision, 1 - ours / clarifai
    return Claim("§7", "比 2012 年 SuperVision 相对降低 56.5%，比 2013 年 Clarifai 约 40%", "56.5%、约 40%",
                 f"{a:.1%}、{b:.1%}", _verdict(abs(a - 0.565) < 0.005 and abs(b - 0.40) < 0.01),
                 "按表 2 中使用外部数据的两项（15.3%、11.2%）计算", "07")


def _table3_arithmetic() -> Claim:
    base = paper.TABLE3[0].top5_error
    wrong = [r for r in paper.TABLE3[1:] if abs((r.top5_error - base) - r.vs_base) > 0.005]
    text = "、".join(f"{r.models}×{r.crops}：{r.top5_error - base:+.2f}（印 {r.vs_base:+.2f}）" for r in wrong)
    return Claim("§7", "表 3“相对基线”一列", "5 个差值", text or "全部等于错误率之差",
                 DIFFERS if wrong else CONFIRMED, "逐行用 top-5 错误率减去基线 10.07%", "07")


def _multicrop_trend(results_dir) -> list[Claim]:
    saved = load_result("multicrop", results_dir)
    claim = "裁剪越多、模型越多，错误率越低（表 3，本机的一次运行）"
    if saved is None:
        return [Claim("§7", claim, "10.07% → 6.67%", "—", NOT_RUN, "先运行笔记本 07（它保存我们的表 3）", "07", varies=True)]
    rows = saved["rows"]  # [{"models": m, "crops": c, "top5_error": e, "top1_error": e1}, ...]
    error = {(r["models"], r["crops"]): r["top1_error"] for r in rows}
    most, base = max(r["models"] for r in rows), error[(1, 1)]
    # Table 3's two directions: more crops (one model), and more crops and models together
    steps = [error[k] for k in ((1, 144), (most, 144)) if k in error and k != (1, 1)]
    better = sum(e < base for e in steps)
    direction = CONFIRMED if steps and better == len(steps) else PARTLY if better else DIFFERS
    p = saved.get("p_1_vs_144")  # notebook 07's McNemar test, 1 vs 144 crops: the direction counts only if it decides
    verdict = direction if p is not None and p < ALPHA else UNDECIDED
    ours = "top-1：" + " → ".join(f"{e:.1%}" for e in [base, *steps]) + f"（{saved.get('images', '?')} 张测试图）"
    why = saved.get("note", "Fashion-MNIST 子集上 top-5 几乎为 0，所以比较 top-1")
    if verdict == UNDECIDED:
        why = f"1 与 144 个裁剪之差{'没有检验' if p is None else f'不显著（McNemar p = {p:.2f}）'}，不下结论；{why}"
    return [Claim("§7", claim, "10.07% → 7.89% → 6.67%（top-5）", ours, verdict, why, "07", varies=True)]


def _training(results_dir) -> list[Claim]:
    saved = load_result("training", results_dir)
    if saved is None:
        return [Claim("§6", "按第 6 节的方法训练", "—", "—", NOT_RUN, "先运行笔记本 06", "06", varies=True)]
    claims = [Claim("§6", "按第 6 节的配方（辅助损失 ×0.3、动量 0.9、Polyak 平均）训练", "ImageNet：top-5 10.07%（单模型）",
                    f"子集测试准确率 {saved['test_accuracy']:.1%}（{saved.get('minutes', 0):.1f} 分钟，CPU）",
                    _verdict(saved["test_accuracy"] >= saved.get("floor", 0.8)), saved.get("recipe", ""), "06",
                    varies=True)]
    if "ema_accuracy" in saved and "raw_accuracy" in saved:
        ema, raw = saved["ema_accuracy"], saved["raw_accuracy"]  # one run, one seed: no verdict however large
        tie = "，在 0.5 个百分点之内，算持平" if abs(ema - raw) <= NOISE else ""
        claims.append(Claim("§6", "用 Polyak 平均的权重做推理", "—", f"平均 {ema:.1%} vs 原始 {raw:.1%}", UNDECIDED,
                            f"差 {_points(ema - raw)}{tie}；只有一次运行（一个种子），不下结论；"
                            f"相差不到 {NOISE * 100:g} 个百分点算作持平：学习率在训练末尾降到 0 时，"
                            "平均权重与原始权重几乎相同，见笔记本 06", "06", varies=True))
    return claims


def _aux_ablation(directory) -> list[Claim]:
    """§5's claim per network, decided by the committed multi-seed ablation's paired test."""
    ablation = experiments.load("aux_ablation", directory)
    claims = []
    for variant, entry in ablation["summary"].items():
        s = entry["test_acc_avg_full"]
        claims.append(Claim(
            "§5", f"辅助分类器帮助训练：{experiments.NETWORKS[variant]}", "期望增强梯度、提供正则化（未给数字）",
            f"有 {experiments.mean_sd(s['aux'])} vs 无 {experiments.mean_sd(s['noaux'])}"
            f"（{len(ablation['seeds'])} 个种子）", _from_test(s["verdict"]),
            f"按种子配对的 t 检验 p = {s['t_test']['p']:.2g}（符号翻转检验 p = {s['sign_flip_p']:.2g}）；"
            "随包提交的多种子实验（experiments/aux_ablation.py）", "06"))
    return claims


def _multicrop_seeds(directory) -> list[Claim]:
    """Table 3's trend and the ensemble, decided across the committed experiment's models."""
    v = experiments.load("multicrop", directory)["variants"]["torchvision"]
    err, crops, ens = v["crops"]["errors_mean_sd"], v["crops"]["1_vs_144"], v["ensembles"]["crops_1"]
    t3 = {(r.models, r.crops): r.top5_error for r in paper.TABLE3}
    return [Claim("§7", f"裁剪越多错误率越低（{len(v['per_model'])} 个模型，1 → 144 个裁剪）",
                  f"{t3[1, 1]}% → {t3[1, 144]}%（top-5，单模型）",
                  f"top-1：{err['1'][0]:.1%} → {err['144'][0]:.1%}（{v['images']} 张测试图）", _from_test(crops["verdict"]),
                  f"跨模型的配对 t 检验 p = {crops['t_test']['p']:.2g}；随包提交的多种子实验（experiments/multicrop_seeds.py）",
                  "07"),
            Claim("§7", f"多个模型的集成降低错误率（{len(v['ensembles']['pairs'])} 对模型，1 个裁剪）",
                  f"{t3[1, 1]}% → {t3[7, 1]}%（7 个模型，1 个裁剪）",
                  f"top-1：{ens['mean_sd_before'][0]:.1%} → {ens['mean_sd_after'][0]:.1%}", _from_test(ens["verdict"]),
                  f"跨模型对的配对 t 检验 p = {ens['t_test']['p']:.2g}；随包提交的多种子实验", "07")]


def _detection(results_dir) -> list[Claim]:
    saved = load_result("detection", results_dir)
    before, after = (r.map for r in paper.TABLE4 if r.team in ("UvA-Euvision", "GoogLeNet"))
    claims = [Claim("§8", "与 2013 年相比，检测精度几乎翻倍", f"{before}% → {after}%", f"{after / before:.2f} 倍",
                    _verdict(1.8 <= after / before <= 2.0), "按表 4 计算", "08")]
    pipeline = "R-CNN 式流程（候选区域 + GoogLeNet 区域分类器，不做边界框回归）"
    if saved is None:
        return claims + [Claim("§8", pipeline, "mAP 43.9%（集成）", "—", NOT_RUN, "先运行笔记本 08", "08", varies=True)]
    main = saved["main"]
    claims.append(Claim("§8", pipeline, "mAP 43.9%（集成）、38.02%（单模型）",
                        f"画布上 mAP {main['map']:.1%}，候选覆盖率 {main['coverage']:.1%}", _verdict(main["map"] > 0.3),
                        "课堂规模的复现，数字与 ILSVRC 不可比；见笔记本 08", "08", varies=True))
    ratio = saved.get("proposal_ratio_after_doubling")
    if ratio is not None:
        cov = {k: v["coverage"] for k, v in saved["proposals"].items() if k in ("ss16", "ss32")}
        claims.append(Claim("§8", "超像素尺寸加倍，选择性搜索的候选区域减半，覆盖率几乎不变", "减半；92% → 93%（加入多框候选区域后）",
                            f"候选数 ×{ratio:.2f}，覆盖率 {cov.get('ss16', 0):.1%} → {cov.get('ss32', 0):.1%}",
                            _verdict(ratio <= 0.6 and cov.get("ss32", 0) >= cov.get("ss16", 1) - 0.02),
                            "在本书的画布上测得", "08", varies=True))
    maps = saved["map"].get(main["proposals"], {})
    single, ensemble = maps.get(main["scoring"].replace("ensemble", "single")), maps.get(main["scoring"])
    if single is not None and ensemble is not None:
        claims.append(Claim("§8", "区域分类用多个网络的集成，mAP 提高", "40% → 43.9%（6 个网络）",
                            f"{single:.1%} → {ensemble:.1%}（{saved.get('ensemble_size', '?')} 个网络）",
                            UNDECIDED, f"同一批候选区域，只换区域分类器：差 {_points(ensemble - single)}；"
                            "只有一次运行（两个模型各训练一次），没有检验，不下结论", "08", varies=True))
    return claims


@dataclass(frozen=True)
class Report:
    claims: tuple[Claim, ...]

    def select(self, varies: bool) -> "Report":
        """Only the claims recomputed from the package (False) or measured on this machine (True)."""
        return Report(tuple(c for c in self.claims if c.varies == varies))

    def counts(self) -> dict[str, int]:
        return {v: sum(c.verdict == v for c in self.claims) for v in _COLOUR}

    def to_text(self) -> str:
        summary = "，".join(f"{v} {n}" for v, n in self.counts().items() if n)
        return "\n\n".join([c.to_text() for c in self.claims] + [f"共 {len(self.claims)} 条：{summary}"])

    __repr__ = to_text  # what a notebook prints, and what nbval compares

    def _repr_html_(self) -> str:  # what the rendered book shows
        nowrap = "white-space:nowrap"  # short columns: a verdict must not wrap one character per line
        rows = "".join(
            f"<tr><td style='{nowrap}'>{c.section}</td><td>{html.escape(c.claim)}</td><td>{html.escape(c.paper)}</td>"
            f"<td>{html.escape(c.ours)}</td><td style='background:{_COLOUR[c.verdict]};{nowrap}'>{c.verdict}</td>"
            f"<td>{html.escape(c.why)}</td><td style='{nowrap}'>{c.notebook}</td></tr>" for c in self.claims)
        head = "".join(f"<th>{h}</th>" for h in ("节", "论文的说法", "论文", "本书", "结论", "说明", "笔记本"))
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def reproduction_report(results_dir=RUN_DIR, experiments_dir=experiments.RESULTS_DIR) -> Report:
    """All claims in the paper's order, from the saved results and the committed multi-seed experiments."""
    model, plain = GoogLeNet(variant="paper"), GoogLeNet(variant="paper", aux_logits=False)
    cost = total_cost(plain)
    return Report((_budget(cost.multiply_adds), _twelve_times(cost.params), _one_by_one_is_fully_connected(),
                   _quadratic_widening(), _sparse(results_dir), _reduction_saves(), *_table1(table1_report(plain)),
                   _depth(model), _aux_shapes(model), *_aux_ablation(experiments_dir), *_training(results_dir),
                   _crops(), _relative_reduction(), _table3_arithmetic(), *_multicrop_seeds(experiments_dir),
                   *_multicrop_trend(results_dir), *_detection(results_dir)))
