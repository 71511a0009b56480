#!/usr/bin/env python3
"""Runs schemathesis over the real ridewire-server's OpenAPI document.

Starts the given `ridewire-server` binary on loopback with a fresh SQLite
database (rate limits off, cheap password hashing), registers a rider and
runs every schemathesis check against `/api/v1/openapi.json` with that
rider's token and the per-operation settings of `schemathesis.toml` beside
this file: first every operation except those that end the session, then
each of those (sign out, sign out everywhere, change password, delete the
account) on its own, as a rider of its own, so no run loses its login
half-way. The seed and the number of examples are fixed, so a run is
repeatable and stays quick.

Usage: run.py --server PATH --schemathesis PATH [--seed N] [--examples N]
Exit status: 0 when schemathesis found no failure in either run.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

# Per-operation settings: what the document states but no generator can
# honour (a photo upload's JPEG), each exception explained there.
CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis.toml")

# Operations that end the caller's session or account; each runs last, alone,
# as a rider of its own.
SESSION_ENDING = [
    "post_api_v1_auth_logout",
    "post_api_v1_auth_logout-all",
    "post_api_v1_auth_password",
    "delete_api_v1_me",
]


def start(binary, database):
    """Starts the server on a free port; returns the process and base URL."""
    env = dict(os.environ)
    env["RIDEWIRE_ARGON2_MEMORY_KIB"] = "64"
    for name in list(env):
        if name.startswith("RIDEWIRE_") and name != "RIDEWIRE_ARGON2_MEMORY_KIB":
            del env[name]
    process = subprocess.Popen(
        [
            binary,
            "--listen", "127.0.0.1:0",
            "--database", f"sqlite://{database}",
            "--rate-per-ip", "0",
            "--rate-per-user", "0",
            "--rate-auth-per-ip", "0",
            "--rate-diagnoses-per-user", "0",
            "--rate-login-per-account", "0",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline().strip()
    prefix = "listening on "
    if not line.startswith(prefix):
        process.kill()
        sys.exit(f"api-check: the server did not start (first line {line!r})")
    return process, "http://" + line[len(prefix):]


def register(base, email):
    """Registers a rider; returns the access token."""
    body = json.dumps({"email": email, "password": "correct horse battery"}).encode()
    request = urllib.request.Request(
        base + "/api/v1/auth/register",
        data=body,
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["access_token"]


def schemathesis(tool, base, token, seed, examples, operations, include, workdir):
    """One schemathesis run over the listed operations (or all but them), in
    `workdir` (schemathesis keeps a cache in the folder it runs in)."""
    command = [
        tool, "--config-file", CONFIG, "run", base + "/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--checks", "all",
        "--seed", str(seed),
        "--max-examples", str(examples),
        "--workers", "1",
        "--no-color",
    ]
    for operation in operations:
        command += ["--include-operation-id" if include else "--exclude-operation-id", operation]
    print("api-check:", " ".join(c if "Bearer" not in c else "Authorization: Bearer …" for c in command), flush=True)
    return subprocess.call(command, cwd=workdir)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the ridewire-server binary")
    parser.add_argument("--schemathesis", required=True, help="the schemathesis command")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--examples", type=int, default=25)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ridewire-api-check-") as tmp:
        process, base = start(args.server, os.path.join(tmp, "server.db"))
        try:
            rider = register(base, "rider@api-check.test")
            codes = [schemathesis(args.schemathesis, base, rider, args.seed, args.examples,
                                  SESSION_ENDING, include=False, workdir=tmp)]
            for n, operation in enumerate(SESSION_ENDING):
                leaver = register(base, f"leaver{n}@api-check.test")
                codes.append(schemathesis(args.schemathesis, base, leaver, args.seed,
                                          args.examples, [operation], include=True, workdir=tmp))
        finally:
            process.terminate()
            process.wait(timeout=30)
    if process.returncode not in (0, -15):
        print(f"api-check: the server exited with {process.returncode}", file=sys.stderr)
        return 1
    return 0 if all(code == 0 for code in codes) else 1


if __name__ == "__main__":
    sys.exit(main())
