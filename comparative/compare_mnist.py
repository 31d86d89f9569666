"""Compare realizar with its Python peers on the MNIST benchmark's raw samples.

    uv run python compare_mnist.py [--results results] [--realizar PATH/TO/realizar]

Reads every `*_mnist_results.json` under --results/round*/ (or directly in
--results when there are no round folders), pools each framework's rounds
(the rounds are interleaved runs: realizar, pytorch, numpy, onnxruntime,
realizar, ...), and in each of the two single-sample series every file
holds (`latencies_hot_ns`, "request buffer": the input copied untimed into
one reused buffer before each timed call, hot in cache, the headline; and
`latencies_ns`, "cycling": the input read in place from the 3.1 MB set,
cold), for realizar against each peer computes, with scipy:
Welch's t (two-sided, Welch–Satterthwaite df), Mann–Whitney U (method
"auto"), Cohen's d, 95% bootstrap intervals of each median and of the ratio
of medians, Student-t 95% intervals of the means, and speedups (peer /
realizar) at p50, p95, p99 and the mean. The same pairs go through
`realizar stats compare --json`; t, df and U must agree with scipy within
1e-9 relative (the script exits 1 otherwise; p-values and Cohen's d are
compared and reported).

The acceptance line judges "p50 < 100 ns" and "≥ 50× PyTorch" on the
request-buffer series and shows the cycling series beside it.

Writes BENCHMARK_RESULTS.md, comparison_summary.json and
mnist_comparison.svg next to this file. Every figure comes from the files
read; a framework whose file is missing or holds an "error" is reported as
not run, with no figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy import stats

HERE = Path(__file__).resolve().parent
FRAMEWORKS = ["realizar", "pytorch", "numpy", "onnxruntime"]
PEERS = FRAMEWORKS[1:]
REL_TOL = 1e-9
BOOT_RESAMPLES = 2000
BOOT_SEED = 42
# The two single-sample series every results file holds: (name, raw-latency key, label).
SERIES = [
    ("request_buffer", "latencies_hot_ns", "request buffer (hot input)"),
    ("cycling", "latencies_ns", "cycling (cold input)"),
]
SERIES_LABELS = {name: label for name, _, label in SERIES}
SERIES_DEFINITIONS = {
    "request_buffer": "before each timed call, sample `k mod 1000` is copied (untimed) into one reused request buffer, "
    "as a server's JSON parser writes a request's features; only the prediction on that buffer is timed, so the input is in cache.",
    "cycling": "sample `k mod 1000` is read in place from the 1000-sample set (3.1 MB, more than a 2 MB L2), "
    "so each timed call first fetches a cold 3 KB input from L3 or memory.",
}
# The acceptance line ("< 100 ns", "≥ 50× PyTorch") is judged on this series; the other is shown beside it.
HEADLINE = "request_buffer"


def load_runs(results: Path) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """Per framework, its rounds' JSON documents (in round order); and why a framework has none."""
    rounds = sorted(p for p in results.glob("round*") if p.is_dir())
    dirs = rounds or [results]
    runs: dict[str, list[dict]] = {f: [] for f in FRAMEWORKS}
    errors: dict[str, str] = {}
    for d in dirs:
        for f in FRAMEWORKS:
            path = d / f"{f}_mnist_results.json"
            if not path.exists():
                errors.setdefault(f, f"no {path.relative_to(results.parent)}")
                continue
            doc = json.loads(path.read_text())
            if "error" in doc or not doc.get("latencies_ns"):
                errors[f] = doc.get("error", f"{path.name} holds no latencies")
                continue
            doc["_round"] = d.name
            runs[f].append(doc)
    return runs, {f: e for f, e in errors.items() if not runs[f]}


def pooled(docs: list[dict], key: str) -> np.ndarray:
    return np.concatenate([np.asarray(d[key], dtype=np.float64) for d in docs])


def pct(a: np.ndarray, q: float) -> float:
    return float(np.percentile(a, q))


def describe(a: np.ndarray) -> dict:
    n = len(a)
    mean = float(a.mean())
    sd = float(a.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n))
    return {
        "n": n,
        "p50_ns": pct(a, 50),
        "p95_ns": pct(a, 95),
        "p99_ns": pct(a, 99),
        "mean_ns": mean,
        "std_ns": sd,
        "min_ns": float(a.min()),
        "max_ns": float(a.max()),
        "mean_ci95_ns": [mean - half, mean + half],
    }


def boot_medians(a: np.ndarray, rng: np.random.Generator, n_boot: int = BOOT_RESAMPLES) -> np.ndarray:
    """Medians of n_boot resamples of a (with replacement), in batches to bound memory."""
    out = np.empty(n_boot)
    batch = max(1, 4_000_000 // len(a))
    for s in range(0, n_boot, batch):
        e = min(n_boot, s + batch)
        idx = rng.integers(0, len(a), size=(e - s, len(a)))
        out[s:e] = np.median(a[idx], axis=1)
    return out


def median_ci(a: np.ndarray, seed: int) -> list[float]:
    r = stats.bootstrap(
        (a,),
        np.median,
        n_resamples=BOOT_RESAMPLES,
        confidence_level=0.95,
        method="percentile",
        rng=np.random.default_rng(seed),
        batch=max(1, 2_000_000 // len(a)),
    )
    return [float(r.confidence_interval.low), float(r.confidence_interval.high)]


def rel_diff(a: float, b: float) -> float:
    if a == b:
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / max(abs(a), abs(b))


def realizar_stats(binary: Path | None, control: np.ndarray, treatment: np.ndarray) -> dict | None:
    """`realizar stats compare control treatment --json` on the same samples."""
    if binary is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        c, t = Path(tmp) / "control.json", Path(tmp) / "treatment.json"
        # Integers (nanoseconds) print exactly; JSON arrays are read whole.
        c.write_text(json.dumps([int(v) for v in control]))
        t.write_text(json.dumps([int(v) for v in treatment]))
        out = subprocess.run([str(binary), "stats", "compare", str(c), str(t), "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"realizar stats compare failed ({out.returncode}): {out.stderr.strip()}")
    return json.loads(out.stdout)


def geo_ratio(peer: np.ndarray, ours: np.ndarray) -> dict:
    lp, lo = np.log(peer), np.log(ours)
    w = stats.ttest_ind(lp, lo, equal_var=False)
    ci = w.confidence_interval(0.95)
    return {
        "ratio": float(math.exp(lp.mean() - lo.mean())),
        "ci95": [float(math.exp(ci.low)), float(math.exp(ci.high))],
        "welch_t_log": float(w.statistic),
        "welch_df_log": float(w.df),
        "welch_p_log": float(w.pvalue),
    }


def compare_pair(name: str, peer: np.ndarray, ours: np.ndarray, binary: Path | None, seed: int) -> dict:
    """peer = control, realizar = treatment (the order of `realizar stats compare`)."""
    w = stats.ttest_ind(peer, ours, equal_var=False)
    u = stats.mannwhitneyu(peer, ours, alternative="two-sided", method="auto")
    n1, n2 = len(peer), len(ours)
    pooled_sd = math.sqrt(((n1 - 1) * peer.var(ddof=1) + (n2 - 1) * ours.var(ddof=1)) / (n1 + n2 - 2))
    d = float((ours.mean() - peer.mean()) / pooled_sd)
    rng = np.random.default_rng(seed)
    ratio = boot_medians(peer, rng) / boot_medians(ours, rng)
    res = {
        "control": name,
        "treatment": "realizar",
        "speedup": {
            q: float(np.percentile(peer, p) / np.percentile(ours, p))
            for q, p in (("p50", 50), ("p95", 95), ("p99", 99))
        }
        | {"mean": float(peer.mean() / ours.mean())},
        "speedup_p50_ci95_bootstrap": [float(np.percentile(ratio, 2.5)), float(np.percentile(ratio, 97.5))],
        # Welch's t on ln(latency): the ratio of geometric means with its
        # 95% interval, less swayed by millisecond outliers than the raw t.
        "geometric_mean_ratio": geo_ratio(peer, ours),
        "scipy": {
            "welch_t": float(w.statistic),
            "welch_df": float(w.df),
            "welch_p": float(w.pvalue),
            "mann_whitney_u": float(u.statistic),
            "mann_whitney_p": float(u.pvalue),
            "cohens_d": d,
        },
    }
    r = realizar_stats(binary, peer, ours)
    if r is None:
        res["realizar_stats"] = None
        return res
    theirs = {
        "welch_t": r["welch"]["t"],
        "welch_df": r["welch"]["df"],
        "welch_p": r["welch"]["p_value"],
        "mann_whitney_u": r["mann_whitney"]["u_statistic"],
        "mann_whitney_p": r["mann_whitney"]["p_value"],
        "cohens_d": r["cohens_d"],
    }
    res["realizar_stats"] = theirs
    res["rel_diff"] = {k: rel_diff(res["scipy"][k], theirs[k]) for k in theirs}
    res["recommendation"] = r.get("recommendation")
    return res


def same_weights(results: Path) -> dict:
    """realizar on PyTorch's exported weights against PyTorch's own answers."""
    ref_path = results / "pytorch_predictions.json"
    ours_path = results / "realizar_same_weights.json"
    if not ref_path.exists() or not ours_path.exists():
        return {"status": "not run", "reason": f"missing {ref_path.name} or {ours_path.name}"}
    ref = json.loads(ref_path.read_text())
    ours = json.loads(ours_path.read_text())
    if "error" in ours:
        return {"status": "not run", "reason": ours["error"]}
    pr, po = np.asarray(ref["predictions"]), np.asarray(ours["predictions"])
    qr, qo = np.asarray(ref["probabilities"]), np.asarray(ours["probabilities"])
    exact = np.asarray(ref.get("probabilities_f64", qr))
    if pr.shape != po.shape or qr.shape != qo.shape:
        return {"status": "FAIL", "reason": f"shapes differ: {pr.shape} vs {po.shape}"}
    dp = np.abs(qr - qo)
    n_same = int((pr == po).sum())
    ok = n_same == len(pr) and float(dp.max()) <= 1e-6
    return {
        "status": "PASS" if ok else "FAIL",
        "n": len(pr),
        "identical_predictions": n_same,
        "predicted_class0": int((po == 0).sum()),
        "max_abs_dp": float(dp.max()),
        "argmax_abs_dp": int(dp.argmax()),
        "mean_abs_dp": float(dp.mean()),
        "n_abs_dp_over_1e-6": int((dp > 1e-6).sum()),
        "max_abs_dp_realizar_vs_f64": float(np.abs(qo - exact).max()),
        "max_abs_dp_pytorch_vs_f64": float(np.abs(qr - exact).max()),
        "tolerance": 1e-6,
        "weights": ours.get("model", {}),
    }


def rustc_version() -> str:
    try:
        return subprocess.run(["rustc", "-V"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, cwd=HERE)
        return out.stdout.strip() + (" (working tree has uncommitted changes)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def fmt_ns(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:.2f} ms"
    if v >= 1e4:
        return f"{v / 1e3:.1f} µs"
    if v >= 1e3:
        return f"{v / 1e3:.2f} µs"
    return f"{v:.0f} ns"


def fmt_p(p: float) -> str:
    return "< 1e-300" if p == 0.0 else f"{p:.3g}"


def svg_chart(panels: list[tuple[str, list[tuple[str, float, float | None, float | None]]]], path: Path, title: str) -> None:
    """Panels of horizontal bars on one log-scale x axis: (panel title, [(label, bar, p95 tick, p99 tick)])."""
    width, left, right, bar_h, gap = 860, 150, 40, 22, 12
    colors = {"realizar": "#d9480f", "pytorch": "#1c7ed6", "numpy": "#37b24d", "onnxruntime": "#7048e8"}
    panels = [(t, items) for t, items in panels if items]
    all_vals = [v for _, items in panels for _, a, b, c in items for v in (a, b, c) if v]
    lo = 10 ** math.floor(math.log10(min(all_vals)))
    hi = 10 ** math.ceil(math.log10(max(all_vals)))

    def x(v: float) -> float:
        return left + (width - left - right) * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    parts = []
    y = 40
    for ptitle, items in panels:
        parts.append(f'<text x="{left}" y="{y}" font-size="13" font-weight="bold">{ptitle}</text>')
        y += 12
        top = y
        for name, v, p95, p99 in items:
            base = name.split(" ")[0]
            c = colors.get(base, "#868e96")
            parts.append(f'<text x="{left - 8}" y="{y + bar_h * 0.7:.1f}" font-size="12" text-anchor="end">{name}</text>')
            parts.append(f'<rect x="{left}" y="{y}" width="{x(v) - left:.1f}" height="{bar_h}" fill="{c}" opacity="0.85"/>')
            label_x = x(max(q for q in (v, p95, p99) if q)) + 6
            parts.append(f'<text x="{label_x:.1f}" y="{y + bar_h * 0.7:.1f}" font-size="11">{fmt_ns(v)}</text>')
            for q, dash in ((p95, ""), (p99, ' stroke-dasharray="3,2"')):
                if q:
                    parts.append(f'<line x1="{x(q):.1f}" x2="{x(q):.1f}" y1="{y - 2}" y2="{y + bar_h + 2}" stroke="#212529" stroke-width="1.5"{dash}/>')
            y += bar_h + gap
        e = 0
        while lo * 10**e <= hi:
            gx = x(lo * 10**e)
            parts.append(f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="{top - 4}" y2="{y - gap + 4}" stroke="#ced4da" stroke-width="0.8"/>')
            parts.append(f'<text x="{gx:.1f}" y="{y + 8}" font-size="10" text-anchor="middle">{fmt_ns(lo * 10**e)}</text>')
            e += 1
        y += 40
    height = y
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n'
        f'<text x="{width / 2}" y="20" font-size="15" text-anchor="middle">{title}</text>\n' + "\n".join(parts) + "\n</svg>\n"
    )
    path.write_text(svg)


def analyse_series(si: int, key: str, runs: dict[str, list[dict]], binary: Path | None) -> tuple[dict, dict, dict]:
    """One series (raw-latency key) of every framework that has it: summaries, realizar against each peer, and why a framework lacks it."""
    lat, missing = {}, {}
    for f, docs in runs.items():
        if not docs:
            continue
        if all(d.get(key) for d in docs):
            lat[f] = pooled(docs, key)
        else:
            missing[f] = f"its results file(s) hold no {key} (made by an older harness?)"
    desc = {}
    for k, f in enumerate(lat):
        d = describe(lat[f])
        d["median_ci95_bootstrap_ns"] = median_ci(lat[f], BOOT_SEED + 1000 * si + k)
        d["rounds"] = [{"round": r["_round"], "n": len(r[key]), "p50_ns": pct(np.asarray(r[key], float), 50)} for r in runs[f]]
        desc[f] = d
    pairs = {}
    if "realizar" in lat:
        for k, peer in enumerate(PEERS):
            if peer in lat:
                pairs[peer] = compare_pair(peer, lat[peer], lat["realizar"], binary, BOOT_SEED + 1000 * si + 100 + k)
    return desc, pairs, missing


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", type=Path, default=HERE / "results")
    ap.add_argument("--realizar", type=Path, default=None, help="the realizar CLI binary, for `realizar stats compare`")
    ap.add_argument("--out-dir", type=Path, default=HERE)
    ap.add_argument("--note", default="", help="a line for the report (e.g. the machine's load)")
    args = ap.parse_args()
    binary = args.realizar
    if binary is not None and not binary.exists():
        raise SystemExit(f"{binary}: no such realizar binary")

    runs, not_run = load_runs(args.results)
    if not runs["realizar"]:
        raise SystemExit(f"no realizar results under {args.results}: {not_run.get('realizar')}")
    ran = [f for f in FRAMEWORKS if runs[f]]
    batch = {f: pooled(runs[f], "batch_1000_ns") for f in ran if any(x.get("batch_1000_ns") for x in runs[f])}

    series = {}
    for si, (sname, key, label) in enumerate(SERIES):
        desc, pairs, missing = analyse_series(si, key, runs, binary)
        series[sname] = {"label": label, "latency_key": key, "definition": SERIES_DEFINITIONS[sname], "frameworks": desc, "comparisons": pairs, "missing": missing}

    frameworks = {}
    for f in ran:
        first = runs[f][0]
        info = {
            "version": first.get("version"),
            "timer_overhead_ns": [d.get("timer_overhead_ns") for d in runs[f]],
            "timed_call": first.get("timed_call"),
            "timed_call_hot": first.get("timed_call_hot"),
        }
        for sname, _, _ in SERIES:
            if f in series[sname]["frameworks"]:
                info[sname] = series[sname]["frameworks"][f]
        if f in batch:
            b = batch[f]
            info["batch_1000"] = {
                "n": len(b),
                "median_ns": pct(b, 50),
                "p95_ns": pct(b, 95),
                "min_ns": float(b.min()),
                "per_sample_ns": pct(b, 50) / 1000.0,
            }
        frameworks[f] = info
    comparisons = {}
    for peer in PEERS:
        c = {sname: series[sname]["comparisons"][peer] for sname, _, _ in SERIES if peer in series[sname]["comparisons"]}
        if not c:
            continue
        if "realizar" in batch and peer in batch:
            c["batch_speedup_median"] = float(np.median(batch[peer]) / np.median(batch["realizar"]))
        comparisons[peer] = c

    sw = same_weights(args.results)
    # Every Python peer runs PyTorch's exported weights: its classes must be PyTorch's.
    agreement = {}
    ref_path = args.results / "pytorch_predictions.json"
    if ref_path.exists():
        ref = json.loads(ref_path.read_text())
        rp, rq = np.asarray(ref["predictions"]), np.asarray(ref["probabilities"])
        for f in PEERS:
            for d in runs[f]:
                same = int((np.asarray(d["predictions"]) == rp).sum())
                dq = float(np.abs(np.asarray(d["probabilities"]) - rq).max())
                prev = agreement.get(f)
                if prev is None or same < prev["identical_predictions"] or dq > prev["max_abs_dp"]:
                    agreement[f] = {"identical_predictions": same, "n": len(rp), "max_abs_dp": dq}
    sw_lat = None
    sw_path = args.results / "realizar_same_weights.json"
    if sw_path.exists():
        swd = json.loads(sw_path.read_text())
        sw_lat = {sname: describe(np.asarray(swd[key], dtype=np.float64)) for sname, key, _ in SERIES if swd.get(key)} or None

    env = {
        "date_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": runs["realizar"][0].get("cpu"),
        "logical_cpus": os.cpu_count(),
        "load_average_at_report": list(os.getloadavg()),
        "os": platform.platform(),
        "python": platform.python_version(),
        "rustc": rustc_version(),
        "git": git_commit(),
        "threads": {f: runs[f][0].get("threads") for f in ran},
        "versions": {f: frameworks[f]["version"] for f in ran},
        "numpy_blas": (runs["numpy"][0].get("extra", {}).get("blas") if runs["numpy"] else None),
        "scipy": __import__("scipy").__version__,
        "note": args.note,
    }

    # Agreement of realizar-stats with scipy, in every series.
    disagreements = []
    for sname, _, _ in SERIES:
        for peer, r in series[sname]["comparisons"].items():
            for key in ("welch_t", "welch_df", "mann_whitney_u"):
                if r.get("rel_diff") and r["rel_diff"][key] > REL_TOL:
                    disagreements.append(f"{sname} {peer} {key}: scipy {r['scipy'][key]!r} vs realizar-stats {r['realizar_stats'][key]!r}")

    summary = {
        "environment": env,
        "headline_series": HEADLINE,
        "series": {s: {k: v for k, v in series[s].items() if k not in ("frameworks", "comparisons")} for s in series},
        "frameworks": frameworks,
        "not_run": not_run,
        "comparisons": comparisons,
        "same_weights": sw,
        "peers_vs_pytorch_reference": agreement,
        "realizar_on_pytorch_weights": sw_lat,
        "stats_agreement": {"tolerance_rel": REL_TOL, "disagreements": disagreements, "checked": binary is not None},
        "acceptance": acceptance(series, sw),
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "comparison_summary.json").write_text(json.dumps(summary, indent=1) + "\n")

    panels = []
    for sname, _, label in SERIES:
        d = series[sname]["frameworks"]
        items = [(f, d[f]["p50_ns"], d[f]["p95_ns"], d[f]["p99_ns"]) for f in FRAMEWORKS if f in d]
        panels.append((f"Single sample, {label}: p50 bar, p95 | and p99 ¦ ticks, ns, log scale", items))
    panels.append(("Batch of 1000 samples, median time, ns, log scale", [(f, frameworks[f]["batch_1000"]["median_ns"], None, None) for f in ran if "batch_1000" in frameworks[f]]))
    svg_chart(panels, args.out_dir / "mnist_comparison.svg", f"MNIST 784→2 softmax regression, one thread — {env['cpu']}")
    write_markdown(args.out_dir / "BENCHMARK_RESULTS.md", summary, series, runs)

    print_table(summary, series)
    if disagreements:
        print("realizar-stats disagrees with scipy beyond 1e-9 relative:\n  " + "\n  ".join(disagreements), file=sys.stderr)
        return 1
    return 0


def acceptance(series: dict, sw: dict) -> list[dict]:
    """The issue's acceptance points, judged on the headline (request-buffer) series, the cycling series shown beside."""
    out = []
    p50 = {s: series[s]["frameworks"].get("realizar", {}).get("p50_ns") for s in series}
    out.append(
        {
            "criterion": "realizar single-sample p50 < 100 ns, timer included",
            "judged_on": HEADLINE,
            "met": (p50[HEADLINE] < 100.0) if p50[HEADLINE] is not None else None,
            "value": p50[HEADLINE],
            "beside": {s: {"value": v, "met": (v < 100.0) if v is not None else None} for s, v in p50.items() if s != HEADLINE},
            "unit": "ns",
        }
    )
    sp = {s: series[s]["comparisons"].get("pytorch", {}).get("speedup", {}).get("p50") for s in series}
    out.append(
        {
            "criterion": "realizar ≥ 50× PyTorch at p50, same run",
            "judged_on": HEADLINE,
            "met": (sp[HEADLINE] >= 50.0) if sp[HEADLINE] is not None else None,
            "value": sp[HEADLINE],
            "beside": {s: {"value": v, "met": (v >= 50.0) if v is not None else None} for s, v in sp.items() if s != HEADLINE},
            "unit": "×",
        }
    )
    out.append(
        {
            "criterion": "same weights: identical predictions on all samples, p(class 1) within 1e-6 of PyTorch",
            "judged_on": "same_weights",
            "met": sw.get("status") == "PASS" if sw.get("status") != "not run" else None,
            "value": sw.get("max_abs_dp"),
            "beside": {},
            "unit": "max |Δp|",
        }
    )
    return out


def fmt_value(v: float | None, unit: str) -> str:
    if v is None:
        return "not measured"
    if unit == "ns":
        return fmt_ns(v)
    if unit == "×":
        return f"{v:.1f}×"
    return f"{v:.3g}"


def verdict(met: bool | None) -> str:
    return "yes" if met else ("not measured" if met is None else "NO")


def acceptance_line(a: dict) -> str:
    label = SERIES_LABELS.get(a["judged_on"], a["judged_on"])
    line = f"{a['criterion']}: {verdict(a['met'])}"
    if a["judged_on"] in SERIES_LABELS:
        line += f" on the {label} series ({fmt_value(a['value'], a['unit'])})"
    elif a["value"] is not None:
        line += f" ({a['unit']} {fmt_value(a['value'], a['unit'])})"
    for s, b in a["beside"].items():
        line += f"; {SERIES_LABELS[s]} series beside it: {fmt_value(b['value'], a['unit'])} ({verdict(b['met'])}, not judged)"
    return line


def print_table(s: dict, series: dict) -> None:
    frameworks, pairs, sw, not_run = s["frameworks"], s["comparisons"], s["same_weights"], s["not_run"]
    for sname, _, label in SERIES:
        desc = series[sname]["frameworks"]
        head = " (headline)" if sname == HEADLINE else ""
        print(f"single sample, {label}{head}")
        print(f"  {'framework':<12} {'n':>7} {'p50':>10} {'p95':>10} {'p99':>10} {'mean':>10} {'p50 speedup':>12} {'mean speedup':>13}")
        for f in FRAMEWORKS:
            if f not in desc:
                why = not_run.get(f) or series[sname]["missing"].get(f, "?")
                print(f"  {f:<12} not run: {why}")
                continue
            d = desc[f]
            c = series[sname]["comparisons"].get(f)
            sp = "" if c is None else f"{c['speedup']['p50']:.1f}x"
            sm = "" if c is None else f"{c['speedup']['mean']:.1f}x"
            print(
                f"  {f:<12} {d['n']:>7} {fmt_ns(d['p50_ns']):>10} {fmt_ns(d['p95_ns']):>10} {fmt_ns(d['p99_ns']):>10} "
                f"{fmt_ns(d['mean_ns']):>10} {sp:>12} {sm:>13}"
            )
    print("batch of 1000 (median)")
    for f in FRAMEWORKS:
        b = frameworks.get(f, {}).get("batch_1000")
        if not b:
            print(f"  {f:<12} not run")
            continue
        sp = f"  realizar {pairs[f]['batch_speedup_median']:.2f}x faster" if "batch_speedup_median" in pairs.get(f, {}) else ""
        print(f"  {f:<12} {fmt_ns(b['median_ns']):>10} ({b['per_sample_ns']:.1f} ns/sample){sp}")
    print(
        f"same weights: {sw.get('status')}"
        + (
            f" ({sw['identical_predictions']}/{sw['n']} identical, max |dp| {sw['max_abs_dp']:.3g})"
            if "n" in sw
            else f" ({sw.get('reason')})"
        )
    )
    print("acceptance:")
    for a in s["acceptance"]:
        print("  " + acceptance_line(a))


def write_markdown(path: Path, s: dict, series: dict, runs: dict) -> None:
    env, frameworks, pairs, sw = s["environment"], s["frameworks"], s["comparisons"], s["same_weights"]
    L = []
    L.append("# MNIST benchmark: realizar vs PyTorch, numpy and onnxruntime\n")
    L.append(
        "Generated by `comparative/compare_mnist.py` from the raw samples in `comparative/results/` "
        "(run by `cargo xtask compare-pytorch`). Every figure below comes from that run; nothing is typed in by hand.\n"
    )
    if env["note"]:
        L.append(f"> **Note:** {env['note']}\n")
    L.append("## Acceptance criteria, as measured in this run\n")
    for a in s["acceptance"]:
        L.append(f"- {acceptance_line(a)}")
    L.append("")
    L.append("## Environment\n")
    L.append("| | |\n|---|---|")
    L.append(f"| date | {env['date_utc']} |")
    L.append(f"| CPU | {env['cpu']} ({env['logical_cpus']} logical CPUs) |")
    L.append(f"| load average when the report was written (1, 5, 15 min) | {', '.join(f'{v:.2f}' for v in env['load_average_at_report'])} |")
    L.append(f"| OS | {env['os']} |")
    L.append(f"| threads | {', '.join(f'{k} {v}' for k, v in env['threads'].items())} |")
    L.append(f"| realizar | {env['versions'].get('realizar')} ({env['rustc']}), git {env['git']} |")
    for f in PEERS:
        if f in env["versions"]:
            extra = f", BLAS {env['numpy_blas']}" if f == "numpy" and env["numpy_blas"] else ""
            L.append(f"| {f} | {env['versions'][f]}{extra} |")
    L.append(f"| Python / scipy | {env['python']} / {env['scipy']} |")
    L.append("")
    L.append("## Method\n")
    L.append(
        "- Model: softmax regression 784 → 2 (`torch.nn.Linear(784, 2)`); data: the synthetic set "
        "`pixel(i, j) = ((i·17 + j·31) mod 256) / 255`, `label = 0 if i mod 10 == 0 else 1`, 1000 samples, "
        "identical in Rust and Python (hash checked by `crates/realizar-infer/tests/pytorch_same_weights.rs`)."
    )
    L.append(
        "- Each framework, one thread, each single-sample prediction timed alone (Rust `Instant` around a `black_box`ed call, "
        "Python `time.perf_counter_ns`; the timer's own cost included, not subtracted); Python peers with the garbage "
        "collector disabled while timing and PyTorch inside `torch.inference_mode()`. Two series, each of 100 warm-up "
        "calls and the same number of timed calls, in the same order on every side:"
    )
    for sname, _, label in SERIES:
        head = " (the headline)" if sname == HEADLINE else ""
        L.append(f"  - **{label}**{head}: {SERIES_DEFINITIONS[sname]}")
    L.append(
        "- Why two series: the 1000 inputs (3.1 MB of f32) do not fit in this CPU's 2 MB L2 cache, so in the cycling series "
        "every call first fetches a cold 3 KB input from L3 or memory. A server answering one request at a time predicts on "
        "features its JSON parser has just written, which are in cache: that is the request-buffer series. The copy into the "
        "buffer is the same untimed step on every side; only the prediction is timed. The cycling series stays as the "
        "cold-input figure."
    )
    L.append("- Then the whole 1000-sample batch, timed repeatedly.")
    L.append(
        "- Rounds are interleaved runs (separate processes): "
        + ", ".join(f"{f} ×{len(runs[f])}" for f in FRAMEWORKS if runs[f])
        + ". Figures below pool all rounds of a framework; per-round medians are listed to show drift."
    )
    L.append("- Timed calls:")
    for f in FRAMEWORKS:
        if f in frameworks and frameworks[f].get("timed_call"):
            L.append(f"  - {f}: `{frameworks[f]['timed_call']}`")
            if frameworks[f].get("timed_call_hot"):
                L.append(f"    - request buffer: {frameworks[f]['timed_call_hot']}")
    L.append("")
    L.append("## Single-sample latency\n")
    for sname, _, label in SERIES:
        desc = series[sname]["frameworks"]
        L.append(f"### {label[0].upper() + label[1:]}{' (headline)' if sname == HEADLINE else ''}\n")
        L.append("| framework | samples | p50 | 95% CI of median (bootstrap) | p95 | p99 | mean | 95% CI of mean | min | max | timer overhead | per-round p50 |")
        L.append("|---|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---|")
        for f in FRAMEWORKS:
            if f not in desc:
                why = s["not_run"].get(f) or series[sname]["missing"].get(f, "?")
                L.append(f"| {f} | not run: {why} | | | | | | | | | | |")
                continue
            d = desc[f]
            mci, ci = d["median_ci95_bootstrap_ns"], d["mean_ci95_ns"]
            L.append(
                f"| {f} | {d['n']} | {fmt_ns(d['p50_ns'])} | [{fmt_ns(mci[0])}, {fmt_ns(mci[1])}] | {fmt_ns(d['p95_ns'])} | "
                f"{fmt_ns(d['p99_ns'])} | {fmt_ns(d['mean_ns'])} | [{fmt_ns(ci[0])}, {fmt_ns(ci[1])}] | {fmt_ns(d['min_ns'])} | "
                f"{fmt_ns(d['max_ns'])} | {', '.join(fmt_ns(v) for v in frameworks[f]['timer_overhead_ns'] if v is not None)} | "
                f"{', '.join(fmt_ns(r['p50_ns']) for r in d['rounds'])} |"
            )
        L.append("")
    if s["realizar_on_pytorch_weights"]:
        L.append("realizar loading PyTorch's exported weights (the same-weights run, one round):\n")
        for sname, d in s["realizar_on_pytorch_weights"].items():
            L.append(
                f"- {SERIES_LABELS[sname]}: p50 {fmt_ns(d['p50_ns'])}, p95 {fmt_ns(d['p95_ns'])}, p99 {fmt_ns(d['p99_ns'])}, "
                f"mean {fmt_ns(d['mean_ns'])} over {d['n']} calls."
            )
    L.append("\n## Batch of 1000 samples\n")
    L.append("| framework | runs | median | p95 | min | per sample (median / 1000) | speedup of realizar (median) |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for f in FRAMEWORKS:
        b = frameworks.get(f, {}).get("batch_1000")
        if not b:
            L.append(f"| {f} | not run | | | | | |")
            continue
        sp = "—" if f == "realizar" else (f"{pairs[f]['batch_speedup_median']:.2f}×" if "batch_speedup_median" in pairs.get(f, {}) else "-")
        L.append(f"| {f} | {b['n']} | {fmt_ns(b['median_ns'])} | {fmt_ns(b['p95_ns'])} | {fmt_ns(b['min_ns'])} | {b['per_sample_ns']:.1f} ns | {sp} |")
    L.append("\n## Speedups and tests (realizar against each peer)\n")
    L.append("Speedup = peer's latency / realizar's at the same statistic, within one series. Control = the peer, treatment = realizar.\n")
    for sname, _, label in SERIES:
        sp_pairs = series[sname]["comparisons"]
        L.append(f"### {label[0].upper() + label[1:]}{' (headline)' if sname == HEADLINE else ''}\n")
        if not sp_pairs:
            L.append("No peer has this series in this run.\n")
            continue
        L.append("| peer | p50 | 95% CI of p50 ratio (bootstrap) | p95 | p99 | mean | Welch t | Welch–Satterthwaite df | Welch p | Mann–Whitney U | MWU p | Cohen's d |")
        L.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for peer, r in sp_pairs.items():
            sp, sc, ci = r["speedup"], r["scipy"], r["speedup_p50_ci95_bootstrap"]
            L.append(
                f"| {peer} | {sp['p50']:.1f}× | [{ci[0]:.1f}, {ci[1]:.1f}] | {sp['p95']:.1f}× | {sp['p99']:.1f}× | {sp['mean']:.1f}× | "
                f"{sc['welch_t']:.4g} | {sc['welch_df']:.6g} | {fmt_p(sc['welch_p'])} | {sc['mann_whitney_u']:.6g} | {fmt_p(sc['mann_whitney_p'])} | {sc['cohens_d']:.3g} |"
            )
        L.append("\nOn ln(latency) (Welch's t on the logs; the ratio of geometric means, peer / realizar, with its 95% interval), which heavy tails sway less than the raw t:\n")
        L.append("| peer | geometric-mean ratio | 95% CI | t (log) | df (log) | p (log) |")
        L.append("|---|---:|---|---:|---:|---:|")
        for peer, r in sp_pairs.items():
            g = r["geometric_mean_ratio"]
            L.append(f"| {peer} | {g['ratio']:.1f}× | [{g['ci95'][0]:.1f}, {g['ci95'][1]:.1f}] | {g['welch_t_log']:.4g} | {g['welch_df_log']:.6g} | {fmt_p(g['welch_p_log'])} |")
        L.append("")
    L.append("### scipy against realizar-stats (`realizar stats compare --json`, same samples)\n")
    if not s["stats_agreement"]["checked"]:
        L.append("Not checked: no realizar binary was given (`--realizar`).")
    else:
        L.append("Relative difference |scipy − realizar| / max(|scipy|, |realizar|); t, df and U must be ≤ 1e-9.\n")
        L.append("| series | peer | t | df | Welch p | U | MWU p | Cohen's d |")
        L.append("|---|---|---:|---:|---:|---:|---:|---:|")
        loose = []
        for sname, _, label in SERIES:
            for peer, r in series[sname]["comparisons"].items():
                rd = r["rel_diff"]
                L.append(
                    f"| {label} | {peer} | {rd['welch_t']:.2e} | {rd['welch_df']:.2e} | {rd['welch_p']:.2e} | {rd['mann_whitney_u']:.2e} | "
                    f"{rd['mann_whitney_p']:.2e} | {rd['cohens_d']:.2e} |"
                )
                loose += [
                    (label, peer, key, r["scipy"][key], r["realizar_stats"][key])
                    for key in ("welch_p", "mann_whitney_p", "cohens_d")
                    if rd[key] > REL_TOL
                ]
        dis = s["stats_agreement"]["disagreements"]
        L.append("\n" + ("t, df and U: all within tolerance." if not dis else "**Disagreements:** " + "; ".join(dis)))
        if loose:
            L.append("\nBeyond 1e-9 relative (reported, not asserted):\n")
            for label, peer, key, a, b in loose:
                L.append(f"- {label}, {peer} {key}: scipy {a!r}, realizar-stats {b!r}")
    L.append("\n## Same weights: PyTorch's exported model loaded by realizar\n")
    if "n" in sw:
        L.append(
            f"**{sw['status']}.** {sw['identical_predictions']} of {sw['n']} predictions identical "
            f"({sw['predicted_class0']} predicted class 0); max |p_realizar − p_pytorch| = {sw['max_abs_dp']:.3g} "
            f"(sample {sw['argmax_abs_dp']}; {sw['n_abs_dp_over_1e-6']} samples above 1e-6; mean {sw['mean_abs_dp']:.3g}). "
            f"Against f64 arithmetic on the same f32 weights and inputs: realizar {sw['max_abs_dp_realizar_vs_f64']:.3g}, "
            f"PyTorch (batch) {sw['max_abs_dp_pytorch_vs_f64']:.3g}."
        )
    else:
        L.append(f"Not run: {sw.get('reason')}.")
    if s["peers_vs_pytorch_reference"]:
        L.append("\nThe Python peers run the same exported weights; their answers against PyTorch's training-time reference (worst round):\n")
        for f, a in s["peers_vs_pytorch_reference"].items():
            L.append(f"- {f}: {a['identical_predictions']} of {a['n']} predictions identical, max |Δp| {a['max_abs_dp']:.3g}")
    missing = [(SERIES_LABELS[sname], f, why) for sname, _, _ in SERIES for f, why in series[sname]["missing"].items()]
    if s["not_run"] or missing:
        L.append("\n## Frameworks that did not run\n")
        for f, why in s["not_run"].items():
            L.append(f"- {f}: {why}")
        for label, f, why in missing:
            L.append(f"- {f}, {label} series: {why}")
    L.append("\n![chart](mnist_comparison.svg)\n")
    L.append(
        "Files: raw samples `results/round*/<framework>_mnist_results.json` (`latencies_hot_ns`: request buffer, `latencies_ns`: cycling), "
        "same-weights run `results/realizar_same_weights.json`, PyTorch's answers `results/pytorch_predictions.json`, "
        "all statistics `comparison_summary.json`."
    )
    path.write_text("\n".join(L) + "\n")


if __name__ == "__main__":
    sys.exit(main())
