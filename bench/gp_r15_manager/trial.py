"""A trial of gp_r15_manager: a rippled bowl in 4 dims (a trend with small ripples, as Levy-6)."""

import math

import autolab

p = autolab.get_next_parameter()
u = [p[f"x{j}"] for j in range(4)]
autolab.report_final_result(sum((v - 0.3) ** 2 + 0.02 * math.cos(25 * v) for v in u))
