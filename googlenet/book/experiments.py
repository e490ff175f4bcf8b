"""The committed multi-seed experiments (`experiments/`), read for chapters 6, 7 and 9.

Runs too long for a notebook (20 trainings of the aux-head ablation, five models through 144 crops) come from
`experiments/run_all.py` as JSON in ``experiment_results/`` beside this file, shipped with the package so that
every machine (Colab too) shows the same numbers and nbval can compare them. This module only reads and
tabulates; each verdict was decided by the script's test (`verdict`)."""

from __future__ import annotations

import json
from pathlib import Path

from ..tables import format_table

RESULTS_DIR = Path(__file__).with_name("experiment_results")
EXPERIMENTS = ("lr_probe", "aux_ablation", "multicrop", "run_all")
VERDICT_WORDS = ("证实", "差异不显著", "不符")
ALPHA = 0.05
NETWORKS = {"paper": "论文的网络（无批量归一化）", "torchvision": "torchvision 的网络（批量归一化）"}
SCHEMES = {"whole": "整图缩放", "1": "1 个裁剪", "10": "10 个裁剪", "144": "144 个裁剪"}
REGENERATE = "make experiments（参考的 2 核 CPU 上约 50 分钟）"


def load(name: str, directory: str | Path = RESULTS_DIR) -> dict:
    """The committed results of experiment ``name`` (one of `EXPERIMENTS`)."""
    if name not in EXPERIMENTS:
        raise ValueError(f"实验名应为 {', '.join(EXPERIMENTS)} 之一，收到 {name!r}")
    path = Path(directory) / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"找不到实验结果 {path}：运行 {REGENERATE} 生成它")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"实验结果 {path} 已损坏（不是合法的 JSON：{e}）；运行 {REGENERATE} 重新生成") from e
    expected = "multicrop_seeds" if name == "multicrop" else name
    if not isinstance(payload, dict) or payload.get("experiment") != expected:
        raise ValueError(f"{path} 不是实验 {name} 的结果（experiment 字段为 "
                         f"{payload.get('experiment') if isinstance(payload, dict) else type(payload).__name__!r}）")
    return payload


def verdict(p: float, effect: float, claim: str) -> str:
    """The finding in Chinese: "证实" only if p < 0.05 *and* ``effect`` > 0 (positive: the paper's direction, e.g.
    accuracy with − without aux heads), "不符" if significant the other way, else "差异不显著".
    The scripts write it; the notebooks re-check it."""
    if isinstance(p, bool) or not (isinstance(p, (int, float)) and 0 <= p <= 1):
        raise ValueError(f"p 应为 0 到 1 之间的数，收到 {p!r}")
    if p < ALPHA and effect > 0:
        return f"证实：{claim}（p = {p:.3g} < {ALPHA}，方向与论文一致）"
    if p < ALPHA and effect < 0:
        return f"不符：与“{claim}”相反（p = {p:.3g} < {ALPHA}，方向与论文相反）"
    return f"差异不显著：不能确认“{claim}”（p = {p:.3g}，差别在随机波动之内）"


def glue(name: str, text: str) -> None:
    """Hand ``text`` to the book's pages (myst-nb's ``{glue:text}``) without showing it here; a no-op without
    myst-nb (Colab installs only this package, and there is no book to paste into)."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return
    myst_glue(name, text, display=False)


def verdict_word(text: str) -> str:
    """"证实" / "差异不显著" / "不符": the first word of a verdict written by the script."""
    word = str(text).split("：", 1)[0]
    if word not in VERDICT_WORDS:
        raise ValueError(f"结论应以 {'、'.join(VERDICT_WORDS)} 之一开头，收到 {text!r}")
    return word


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def mean_sd(entry) -> str:
    """"72.5% ± 0.7" from a summary (``{"mean", "sd"}`` or ``(mean, sd)``, fractions); no ± for one value."""
    mean, sd = (entry["mean"], entry["sd"]) if isinstance(entry, dict) else entry
    return _pct(mean) if sd is None else f"{_pct(mean)} ± {100 * sd:.1f}"


def _p(p) -> str:
    return "—" if p is None else f"{p:.2g}"


# --------------------------------------------------------------------------- §5: aux heads, §6: learning rate
def ablation_rows(ablation: dict, metric: str = "test_acc_avg_full") -> list[list[str]]:
    """Per network: aux heads vs none (mean ± sd over seeds), mean paired difference, t-test, sign-flip p, verdict."""
    rows = []
    for variant, entry in ablation["summary"].items():
        s = entry[metric]
        diff = s["t_test"]["mean_diff"] if s["t_test"] else s["diffs"][0]
        rows.append([NETWORKS[variant], mean_sd(s["aux"]), mean_sd(s["noaux"]), f"{100 * diff:+.1f}",
                     _p(s["t_test"] and s["t_test"]["p"]), _p(s["sign_flip_p"]), verdict_word(s["verdict"])])
    return rows


def ablation_table(ablation: dict, metric: str = "test_acc_avg_full") -> str:
    header = ["网络", "有辅助分类器", "无辅助分类器", "差（百分点）", "配对 t 检验 p", "符号翻转 p", "结论"]
    return format_table(header, ablation_rows(ablation, metric))


def seed_rows(ablation: dict, variant: str, metric: str = "test_acc_avg_full") -> list[list[str]]:
    """Per seed: the two arms' final accuracies and their difference (what the paired test sees)."""
    by = {(r["seed"], r["aux"]): r[metric] for r in ablation["runs"] if r["variant"] == variant}
    return [[str(seed), _pct(by[seed, True]), _pct(by[seed, False]), f"{100 * (by[seed, True] - by[seed, False]):+.1f}"]
            for seed in ablation["seeds"]]


def probe_rows(probe: dict) -> list[list[str]]:
    """The learning-rate probe: one row per (network, peak lr, warm-up) tried."""
    rows = []
    for r in probe["probes"]:
        result = (["发散", "", ""] if r["diverged"]
                  else [f"{r['loss_main']:.2f}", _pct(r["test_acc"]), _pct(r["test_acc_avg"])])
        rows.append([NETWORKS[r["variant"]], str(r["lr"]), str(r["warmup"]), *result])
    return rows


def probe_table(probe: dict) -> str:
    header = ["网络", "峰值学习率", "预热比例", "第 1 轮训练损失", "测试准确率", "Polyak 平均"]
    return format_table(header, probe_rows(probe))


# --------------------------------------------------------------------------- §7: crops, ensembles
def crop_rows(multicrop: dict, variant: str = "torchvision") -> list[list[str]]:
    """Per crop scheme: top-1 error (mean ± sd over the models); for 10 / 144 crops, the paired t-test against 1 crop
    across models and how many models' McNemar test has p < 0.05."""
    v = multicrop["variants"][variant]
    rows = []
    for key, name in SCHEMES.items():
        row = [name, str(v["views"][key]), mean_sd(v["crops"]["errors_mean_sd"][key]), "", "", ""]
        test = v["crops"].get(f"1_vs_{key}")
        if test:
            mc = [m["mcnemar"][f"1_vs_{key}"]["p"] for m in v["per_model"]]
            row[3:] = [_p(test["t_test"] and test["t_test"]["p"]), f"{sum(p < 0.05 for p in mc)} / {len(mc)}",
                       verdict_word(test["verdict"])]
        rows.append(row)
    return rows


def crop_table(multicrop: dict, variant: str = "torchvision") -> str:
    header = ["视图", "视图数", "top-1 错误率", "与 1 个裁剪比：t 检验 p", "McNemar p < 0.05 的模型", "结论"]
    return format_table(header, crop_rows(multicrop, variant))


def ensemble_rows(multicrop: dict, variant: str = "torchvision") -> list[list[str]]:
    """Per pair of models and crop count: the first model alone vs the two together, McNemar p."""
    rows = []
    for pair in multicrop["variants"][variant]["ensembles"]["pairs"]:
        for k in (1, 144):
            e = pair[f"crops_{k}"]
            rows.append([" + ".join(f"种子 {s}" for s in pair["models"]), str(k), _pct(e["single_error"]),
                         _pct(e["ensemble_error"]), _p(e["mcnemar"]["p"])])
    return rows


def ensemble_table(multicrop: dict, variant: str = "torchvision") -> str:
    header = ["模型", "裁剪数", "单个模型", "两个模型集成", "McNemar p"]
    return format_table(header, ensemble_rows(multicrop, variant))


def provenance_line(payload: dict) -> str:
    """Where the numbers came from, in one line: commit, torch, CPU, threads, wall time."""
    p = payload["provenance"]
    return (f"提交 {(p.get('git_commit') or '未知')[:8]}，torch {p['torch']}，{p['cpu_model']}，"
            f"{p['torch_threads']} 个线程，用时 {payload['wall_time_s'] / 60:.0f} 分钟")
