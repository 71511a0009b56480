#!/usr/bin/env python3
"""Validate assets/codes/obd2-codes.json against the bundled code database schema.

Usage: python3 assets/codes/validate_obd2_codes.py [path/to/obd2-codes.json]
Exits non-zero and lists every problem found; prints counts on success.
"""
import collections
import json
import os
import re
import sys

COMPONENTS = {
    "spark_plugs", "ignition_coil", "crank_sensor", "cam_sensor", "knock_sensor", "battery",
    "regulator_rectifier", "stator", "starter_motor", "ecu", "wiring_harness", "fuel_pump",
    "fuel_injectors", "fuel_pressure_regulator", "evap_system", "air_filter", "throttle_body",
    "throttle_position_sensor", "map_sensor", "iat_sensor", "idle_air_control", "o2_sensor_front",
    "o2_sensor_rear", "catalytic_converter", "coolant_temp_sensor", "radiator_fan", "thermostat",
    "oil_filter", "oil_pressure_sensor", "brake_caliper_front", "brake_caliper_rear", "abs_module",
    "wheel_speed_sensor_front", "wheel_speed_sensor_rear", "chain", "gear_position_sensor",
    "clutch_switch", "vehicle_speed_sensor", "headlight",
}
SEVERITIES = {"info", "moderate", "serious", "stop"}
KEYS = ["code", "title", "description", "severity", "components", "causes", "checks", "cost_eur"]
CODE_RE = re.compile(r"^[PCBU][0-3][0-9A-F]{3}$")
MIN_CODES = 320


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "obd2-codes.json")
    errors = []
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")  # raises if not UTF-8
    data = json.loads(text)  # strict JSON: no trailing commas

    if not isinstance(data, dict) or set(data) != {"version", "codes"}:
        errors.append("top level must be an object with exactly 'version' and 'codes'")
    if data.get("version") != 1:
        errors.append("version must be 1")
    codes = data.get("codes", [])
    if not isinstance(codes, list) or len(codes) < MIN_CODES:
        errors.append("need at least %d codes, found %d" % (MIN_CODES, len(codes) if isinstance(codes, list) else 0))

    seen, descs, prev = set(), {}, None
    for i, e in enumerate(codes):
        where = "entry %d (%s)" % (i, e.get("code", "?") if isinstance(e, dict) else "?")
        if not isinstance(e, dict) or list(e.keys()) != KEYS:
            errors.append("%s: keys must be exactly %s in that order" % (where, KEYS))
            continue
        c = e["code"]
        if not isinstance(c, str) or not CODE_RE.match(c):
            errors.append("%s: bad code format" % where)
        if c in seen:
            errors.append("%s: duplicate code" % where)
        seen.add(c)
        if prev is not None and c <= prev:
            errors.append("%s: not sorted ascending after %s" % (where, prev))
        prev = c
        for k in ("title", "description"):
            if not isinstance(e[k], str) or not e[k].strip():
                errors.append("%s: empty %s" % (where, k))
            elif e[k] != e[k].strip() or "  " in e[k]:
                errors.append("%s: stray whitespace in %s" % (where, k))
        d = e["description"].strip().lower()
        if d in descs:
            errors.append("%s: duplicate description (same as %s)" % (where, descs[d]))
        descs[d] = c
        if e["severity"] not in SEVERITIES:
            errors.append("%s: bad severity %r" % (where, e["severity"]))
        comps = e["components"]
        if not isinstance(comps, list) or not 1 <= len(comps) <= 4:
            errors.append("%s: components must be a list of 1-4 ids" % where)
        else:
            for comp in comps:
                if comp not in COMPONENTS:
                    errors.append("%s: unknown component %r" % (where, comp))
            if len(set(comps)) != len(comps):
                errors.append("%s: repeated component" % where)
        for k in ("causes", "checks"):
            v = e[k]
            if not isinstance(v, list) or not 2 <= len(v) <= 5:
                errors.append("%s: %s must have 2-5 items" % (where, k))
                continue
            for s in v:
                if not isinstance(s, str) or not s.strip():
                    errors.append("%s: empty string in %s" % (where, k))
            if len(set(v)) != len(v):
                errors.append("%s: repeated item in %s" % (where, k))
        cost = e["cost_eur"]
        if (not isinstance(cost, list) or len(cost) != 2
                or not all(isinstance(x, int) and not isinstance(x, bool) for x in cost)):
            errors.append("%s: cost_eur must be [int, int]" % where)
        elif not (0 <= cost[0] <= cost[1] <= 5000):
            errors.append("%s: cost_eur out of range %r" % (where, cost))

    if errors:
        print("INVALID: %d problem(s)" % len(errors))
        for err in errors:
            print("  " + err)
        return 1

    by_range = collections.Counter()
    for e in codes:
        c = e["code"]
        by_range[c[0] + c[1] + c[2] + "xx"] += 1
    by_sev = collections.Counter(e["severity"] for e in codes)
    print("OK: %s" % path)
    print("codes: %d (unique, sorted)" % len(codes))
    print("per range: " + ", ".join("%s=%d" % kv for kv in sorted(by_range.items())))
    print("per severity: " + ", ".join("%s=%d" % (s, by_sev[s]) for s in ("info", "moderate", "serious", "stop")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
