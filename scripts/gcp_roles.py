#!/usr/bin/env python3
"""Generate src/import/gcp/roles.rs: GCP predefined roles -> reach-relevant permissions.

Usage:
    python3 scripts/gcp_roles.py DUMP_PATH > src/import/gcp/roles.rs
    python3 scripts/gcp_roles.py --commit SHA --date YYYY-MM-DD DUMP_PATH > ...

Where the dump comes from
-------------------------
The table checked in was generated from the public dataset
https://github.com/iann0036/iam-dataset at commit
2073fa52ac008a45477aa0b1b4580cd99135bf60 (2026-08-22), directory `gcp/`:

  * `gcp/predefined_roles.json` - output of
    `gcloud iam roles list --show-deleted --format json` (role names, no
    permissions).  This is the authoritative list of current predefined roles.
  * `gcp/roles/<short>.json` - one `gcloud iam roles describe roles/<short>
    --format json` object per role, with `includedPermissions`.  The dataset
    never deletes files from this directory, so it also holds stale roles that
    Google has since removed; those are dropped because they are not in
    `predefined_roles.json`.  Files are matched on the `name` they contain
    (not the file name: a few file names differ in case).

(`gcp/role_permissions.json` in the same repository is the inverse mapping,
permission -> roles, and is ~20 MB; it is not used.)

DUMP_PATH may be:
  * that `gcp/` directory (containing `predefined_roles.json` and `roles/`),
    or its `roles/` directory when `../predefined_roles.json` exists;
  * a JSON file holding a list of role objects with `name` and
    `includedPermissions` (e.g. `gcloud iam roles list --view=FULL
    --format=json`, or the REST `{"roles": [...]}` response), or an object
    mapping role name -> list of permissions (or -> role object).
Anything else is rejected with an error.  The dump must look whole (several
hundred roles, `roles/owner` with thousands of permissions) unless
`--allow-partial` is given.

How to refresh
--------------
    git clone --depth 1 https://github.com/iann0036/iam-dataset /tmp/iam-dataset
    python3 scripts/gcp_roles.py /tmp/iam-dataset/gcp > src/import/gcp/roles.rs

When DUMP_PATH is inside a git checkout, the commit and its date are read
with `git`; otherwise pass `--repo/--commit/--path/--date` (the defaults below
describe the pinned dump above).  Alternatively, with gcloud credentials:
    gcloud iam roles list --view=FULL --format=json > /tmp/roles.json
    python3 scripts/gcp_roles.py --repo gcloud --commit live \
        --path 'gcloud iam roles list --view=FULL' --date $(date +%F) \
        /tmp/roles.json > src/import/gcp/roles.rs

Only the standard library is used.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys

# Provenance of the pinned dump (used when DUMP_PATH is not in a git checkout).
DEFAULT_REPO = "iann0036/iam-dataset"
DEFAULT_COMMIT = "2073fa52ac008a45477aa0b1b4580cd99135bf60"
DEFAULT_PATH = "gcp/roles/*.json, listed by gcp/predefined_roles.json"
DEFAULT_DATE = "2026-08-22"

# Permissions that matter for reachability; plus every `*.setIamPolicy`.
RELEVANT = frozenset(
    """
    iam.serviceAccounts.getAccessToken
    iam.serviceAccounts.signJwt
    iam.serviceAccounts.signBlob
    iam.serviceAccounts.implicitDelegation
    iam.serviceAccounts.getOpenIdToken
    iam.serviceAccounts.actAs
    iam.serviceAccounts.update
    iam.serviceAccountKeys.create
    iam.roles.update
    iam.roles.create
    iam.workloadIdentityPoolProviders.update
    iam.workloadIdentityPools.update
    compute.instances.create
    compute.instances.setMetadata
    compute.instances.setServiceAccount
    compute.projects.setCommonInstanceMetadata
    run.services.create
    run.services.update
    run.jobs.create
    cloudfunctions.functions.create
    cloudfunctions.functions.update
    cloudbuild.builds.create
    cloudscheduler.jobs.create
    dataproc.clusters.create
    composer.environments.create
    deploymentmanager.deployments.create
    container.clusters.getCredentials
    secretmanager.versions.access
    storage.objects.get
    storage.objects.create
    bigquery.tables.getData
    bigquery.tables.updateData
    cloudsql.instances.connect
    resourcemanager.projects.setIamPolicy
    resourcemanager.folders.setIamPolicy
    resourcemanager.organizations.setIamPolicy
    """.split()
) | {
    # GCP spells the workload identity federation permissions with a service
    # prefix; no role grants iam.workloadIdentityPool*.update (kept above anyway).
    "iam.googleapis.com/workloadIdentityPoolProviders.update",
    "iam.googleapis.com/workloadIdentityPools.update",
}

ROLE_RE = re.compile(r"^roles/[A-Za-z0-9_.-]+$")
# Partner services use a domain prefix: cloudonefs.isiloncloud.com/clusters.create
PERM_RE = re.compile(r"^[A-Za-z0-9_/-]+(\.[A-Za-z0-9_/-]+)+$")

MIN_ROLES = 300
MIN_OWNER_PERMS = 1000
# rustfmt defaults (use_small_heuristics = "Default"), so the output passes `cargo fmt --check`.
MAX_WIDTH = 100
FN_CALL_WIDTH = 60  # also used for tuples
ARRAY_WIDTH = 60


class DumpError(Exception):
    pass


def is_relevant(perm):
    return perm in RELEVANT or perm.endswith(".setIamPolicy")


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise DumpError(f"{path}: cannot read JSON: {e}") from e


def check_perms(where, perms):
    if not isinstance(perms, list):
        raise DumpError(f"{where}: includedPermissions is {type(perms).__name__}, expected a list")
    for p in perms:
        if not isinstance(p, str) or not PERM_RE.match(p):
            raise DumpError(f"{where}: unexpected permission {p!r}")
    return perms


def check_role_name(where, name):
    if not isinstance(name, str) or not ROLE_RE.match(name):
        raise DumpError(f"{where}: unexpected role name {name!r} (expected 'roles/...')")
    return name


def role_from_object(where, obj, name=None):
    """A gcloud `describe`-style role object -> (name, perms or None, deleted)."""
    if not isinstance(obj, dict):
        raise DumpError(f"{where}: expected a role object, got {type(obj).__name__}")
    if "name" not in obj and name is None:
        raise DumpError(f"{where}: role object has no 'name' (keys: {sorted(obj)[:8]})")
    name = check_role_name(where, obj.get("name", name))
    perms = obj.get("includedPermissions")
    if perms is not None:
        perms = check_perms(f"{where} ({name})", perms)
    return name, perms, bool(obj.get("deleted", False))


def add_role(roles, where, name, perms):
    if name in roles and sorted(roles[name] or []) != sorted(perms or []):
        raise DumpError(f"{where}: role {name} appears twice with different permissions")
    roles[name] = perms


def load_directory(path, notes):
    """iam-dataset `gcp/` (or `gcp/roles/`) directory."""
    path = os.path.normpath(path)
    if os.path.isdir(os.path.join(path, "roles")):
        roles_dir, list_file = os.path.join(path, "roles"), os.path.join(path, "predefined_roles.json")
    else:
        roles_dir, list_file = path, os.path.join(os.path.dirname(path), "predefined_roles.json")
    if not os.path.isfile(list_file):
        raise DumpError(
            f"{path}: expected the iam-dataset gcp/ directory (predefined_roles.json and roles/); "
            f"{list_file} not found (roles/ alone also holds stale, removed roles)"
        )
    listed = load_json(list_file)
    if not isinstance(listed, list):
        raise DumpError(f"{list_file}: expected a JSON list of roles, got {type(listed).__name__}")

    files = {}
    json_files = sorted(f for f in os.listdir(roles_dir) if f.endswith(".json"))
    if not json_files:
        raise DumpError(f"{roles_dir}: no *.json role files")
    for fname in json_files:
        fpath = os.path.join(roles_dir, fname)
        name, perms, _ = role_from_object(fpath, load_json(fpath))
        add_role(files, fpath, name, perms)
    by_lower = {}
    for name in files:
        by_lower.setdefault(name.lower(), []).append(name)

    roles, missing, deleted, used = {}, [], [], set()
    for i, entry in enumerate(listed):
        name, _, is_deleted = role_from_object(f"{list_file}[{i}]", entry)
        if is_deleted:
            deleted.append(name)
            continue
        key = name if name in files else None
        if key is None and len(by_lower.get(name.lower(), [])) == 1:
            key = by_lower[name.lower()][0]
        if key is None:
            missing.append(name)
            continue
        used.add(key)
        add_role(roles, list_file, name, files[key])
    stale = len(set(files) - used)
    notes.append(f"{len(listed)} roles listed, {len(files)} role files ({stale} stale, ignored)")
    if deleted:
        notes.append(f"{len(deleted)} deleted roles skipped")
    if missing:
        notes.append(f"listed but no role file (skipped): {', '.join(missing)}")
    return roles, os.path.dirname(list_file) or "."


def load_file(path, notes):
    data = load_json(path)
    if isinstance(data, dict) and isinstance(data.get("roles"), list):
        data = data["roles"]  # REST roles.list response
    roles, deleted = {}, 0
    if isinstance(data, list):
        for i, obj in enumerate(data):
            name, perms, is_deleted = role_from_object(f"{path}[{i}]", obj)
            if is_deleted:
                deleted += 1
                continue
            add_role(roles, path, name, perms)
    elif isinstance(data, dict):
        for name, value in data.items():
            where = f"{path}[{name!r}]"
            if not name.startswith("roles/") and "." not in name:
                raise DumpError(f"{where}: unexpected key; expected role names such as roles/owner")
            if not name.startswith("roles/"):
                raise DumpError(
                    f"{where}: keys look like permissions, not roles (permission -> roles "
                    "mapping such as iam-dataset's role_permissions.json is not supported)"
                )
            if isinstance(value, list):
                add_role(roles, where, check_role_name(where, name), check_perms(where, value))
            else:
                _, perms, is_deleted = role_from_object(where, value, name)
                if is_deleted:
                    deleted += 1
                    continue
                add_role(roles, where, check_role_name(where, name), perms)
    else:
        raise DumpError(f"{path}: expected a JSON list or object, got {type(data).__name__}")
    notes.append(f"{len(roles) + deleted} roles in file")
    if deleted:
        notes.append(f"{deleted} deleted roles skipped")
    return roles, None


def git_provenance(path, gcp_dir):
    d = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    try:
        def git(*args):
            return subprocess.run(
                ["git", "-C", d, *args], check=True, capture_output=True, text=True
            ).stdout.strip()

        top = git("rev-parse", "--show-toplevel")
        commit, date = git("log", "-1", "--format=%H %cs").split()
        url = git("config", "--get", "remote.origin.url")
    except (OSError, subprocess.CalledProcessError, ValueError):
        return None
    m = re.search(r"github\.com[:/]([^/]+/[^/]+?)(\.git)?/?$", url or "")
    repo = m.group(1) if m else (url or os.path.basename(top))
    if gcp_dir is None:
        rel = os.path.relpath(os.path.abspath(path), top)
    else:
        g = os.path.relpath(os.path.abspath(gcp_dir), top)
        rel = f"{g}/roles/*.json, listed by {g}/predefined_roles.json"
    return repo, commit, rel, date


def rust_str(s):
    # Validated names/permissions contain no quotes, backslashes or non-ASCII.
    return '"' + s + '"'


def render_entry(name, perms):
    """One table entry, laid out the way rustfmt (default config) would."""
    items = ", ".join(rust_str(p) for p in perms)
    args = f"{rust_str(name)}, &[{items}]"
    one = f"    ({args}),"
    if len(args) <= FN_CALL_WIDTH and len(one) <= MAX_WIDTH:
        return [one]
    out = ["    (", f"        {rust_str(name)},"]
    arr = f"        &[{items}],"
    if len(items) <= ARRAY_WIDTH and len(arr) <= MAX_WIDTH:
        out.append(arr)
    else:
        out.append("        &[")
        out += [f"            {rust_str(p)}," for p in perms]
        out.append("        ],")
    out.append("    ),")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dump", help="iam-dataset gcp/ directory, or a JSON dump of roles")
    ap.add_argument("--repo", help=f"source repository (default: git remote, else {DEFAULT_REPO})")
    ap.add_argument("--commit", help="source commit (default: git HEAD, else the pinned one)")
    ap.add_argument("--path", help="path of the dump inside the repository")
    ap.add_argument("--date", help="dump date, YYYY-MM-DD (default: commit date)")
    ap.add_argument("--allow-partial", action="store_true", help="skip the completeness check")
    args = ap.parse_args()

    notes = []
    try:
        if os.path.isdir(args.dump):
            roles, gcp_dir = load_directory(args.dump, notes)
        elif os.path.isfile(args.dump):
            roles, gcp_dir = load_file(args.dump, notes)
        else:
            raise DumpError(f"{args.dump}: no such file or directory")

        if not args.allow_partial:
            owner = roles.get("roles/owner") or []
            if len(roles) < MIN_ROLES or len(owner) < MIN_OWNER_PERMS:
                raise DumpError(
                    f"dump does not look whole: {len(roles)} roles (want >= {MIN_ROLES}), "
                    f"roles/owner has {len(owner)} permissions (want >= {MIN_OWNER_PERMS}); "
                    "use --allow-partial to override"
                )
    except DumpError as e:
        sys.exit(f"gcp_roles.py: error: {e}")

    prov = git_provenance(args.dump, gcp_dir)
    if prov is None:
        prov = (DEFAULT_REPO, DEFAULT_COMMIT, DEFAULT_PATH, DEFAULT_DATE)
        if not (args.commit and args.date):
            notes.append(f"not a git checkout: assuming the pinned dump {DEFAULT_REPO}@{DEFAULT_COMMIT[:12]}")
    repo = args.repo or prov[0]
    commit = args.commit or prov[1]
    path = args.path or prov[2]
    date = args.date or prov[3]
    try:
        datetime.date.fromisoformat(date)
    except ValueError:
        sys.exit(f"gcp_roles.py: error: --date {date!r} is not YYYY-MM-DD")
    for label, value in (("repo", repo), ("commit", commit), ("path", path)):
        if any(c in value for c in '"\\\n'):
            sys.exit(f"gcp_roles.py: error: --{label} contains a quote, backslash or newline")

    table = []
    empty = 0
    for name in sorted(roles):
        perms = roles[name]
        if not perms:
            empty += 1
            continue
        rel = sorted({p for p in perms if is_relevant(p)})
        if rel:
            table.append((name, rel))

    short = commit[:12] if re.fullmatch(r"[0-9a-f]{40}", commit) else commit
    out = [
        f"// generated by scripts/gcp_roles.py from {repo}@{commit} ({path}), "
        f"dump dated {date}; do not edit",
        "//",
        "// Predefined roles that grant at least one reach-relevant permission, each with",
        "// only those permissions (see RELEVANT in the script; also every *.setIamPolicy).",
        "",
        f'pub(crate) const DUMP: &str = "{repo}@{short}, {date}";',
        "",
        "pub(crate) const PREDEFINED: &[(&str, &[&str])] = &[",
    ]
    for name, rel in table:
        out += render_entry(name, rel)
    out.append("];")
    # Every predefined role of the dump, so that a role newer than it is told apart from
    # one that grants nothing relevant.
    out += [
        "",
        "/// Every predefined role in the dump, sorted: one absent from `PREDEFINED` but here",
        "/// grants nothing that matters for reach; one absent from both is newer than the dump.",
        "pub(crate) const ALL: &[&str] = &[",
    ]
    out += [f"    {rust_str(name)}," for name in sorted(roles)]
    out.append("];")
    sys.stdout.write("\n".join(out) + "\n")

    notes.append(f"{len(roles)} roles with data, {empty} with no permissions, {len(table)} in table")
    for n in notes:
        print(f"gcp_roles.py: {n}", file=sys.stderr)


if __name__ == "__main__":
    main()
