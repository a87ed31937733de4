#!/usr/bin/env python3
"""Structural check of the Prometheus scrape config and alert rules (promtool is
not packaged for pip/Debian here): every rule has a name, an expression and a
severity, and every hdrec_* metric an expression names is one the service exports."""
import re
import sys

import yaml

EXPORTED = {
    "hdrec_http_requests_total", "hdrec_http_request_duration_seconds_bucket",
    "hdrec_http_request_duration_seconds", "hdrec_forward_duration_seconds",
    "hdrec_batch_size", "hdrec_queue_depth", "hdrec_inflight_requests",
    "hdrec_open_connections", "hdrec_adapter_info", "hdrec_adapter_swaps_total",
}


def main(config_path: str, rules_path: str) -> int:
    errors = []
    config = yaml.safe_load(open(config_path))
    if not config.get("scrape_configs"):
        errors.append(f"{config_path}: no scrape_configs")
    for job in config.get("scrape_configs", []):
        if "job_name" not in job:
            errors.append(f"{config_path}: a scrape config has no job_name")
    rules = yaml.safe_load(open(rules_path))
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            name = rule.get("alert", "<unnamed>")
            if "expr" not in rule:
                errors.append(f"{rules_path}: rule {name} has no expr")
                continue
            if "severity" not in rule.get("labels", {}):
                errors.append(f"{rules_path}: rule {name} has no severity label")
            for metric in re.findall(r"\bhdrec_[a-z_]+", rule["expr"]):
                if metric not in EXPORTED:
                    errors.append(f"{rules_path}: rule {name} uses unknown metric {metric}")
    for e in errors:
        print(e, file=sys.stderr)
    print(f"prometheus config and rules: {'ok' if not errors else f'{len(errors)} problem(s)'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
