"""The calibration curve an admin reads before applying a threshold: the estimated false-accept
rate (FPIR at a face-only door, FMR at a badge door) and the FRR along the distance threshold,
with the target, the recommendation and the threshold in force marked on it."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def render_calibration(result: dict, current: float) -> bytes:
    """PNG of `result` (app.admin.calibration.calibrate's answer) against the threshold in force."""
    curve = result["curve"]
    thresholds = np.array([p["threshold"] for p in curve])
    face_only = result["estimates"] is not None
    floor = max(result["target_far"] / 1000, 1e-9)  # three decades below the target stay readable
    far = np.maximum([p["far"] for p in curve], floor)
    frr = np.maximum([p["frr"] for p in curve], floor)
    far_label = ("estimated FPIR: a stranger admitted as anyone enrolled (worst applicable estimate)"
                 if face_only else "FMR: an impostor admitted as the badge holder (gallery pairs)")
    fig, axis = plt.subplots(figsize=(9, 6))
    axis.semilogy(thresholds, far, color="tab:red", label=far_label)
    axis.semilogy(thresholds, frr, color="tab:blue", label="FRR: an enrolled person refused (gallery, leave one out)")
    axis.axhline(result["target_far"], color="tab:red", linestyle=":", label=f"target {result['target_far']:g}")
    axis.axvline(result["threshold"], color="tab:green", linewidth=2,
                 label=f"recommended {result['threshold']:.3f}"
                       f" (FAR {result['estimated_far']:.2g}, FRR {result['estimated_frr']:.1%})")
    axis.axvline(current, color="black", linestyle="--", label=f"in force {current:.3f}")
    axis.set_xlabel("distance threshold: admit when the L2 distance to the nearest template is at most this")
    axis.set_ylabel("rate (log scale)")
    axis.set_ylim(floor, 1.05)
    axis.grid(True, which="both", alpha=0.3)
    counts = result["counts"]
    level = "face-only door" if face_only else "badge door"
    axis.set_title(f"Calibration, {level}: {counts['people']} people, {counts['templates']} templates"
                   + ("" if result["resolvable"] else " (target not resolved: strictest estimate shown)"))
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8, ncol=2)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=90)
    plt.close(fig)
    return out.getvalue()
