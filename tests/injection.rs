//! No command trustpath prints can be hijacked by a name from an input. Plans over
//! hostile names (a workflow file named `d$(echo>PWNED);.yml`, roles, keys, service
//! accounts and Vault roles whose names carry substitutions, quotes, `;` and newlines,
//! a `uses:` with a newline, a native graph whose own revoke command smuggles a second
//! line) are printed as JSON, and every command is run through bash with every program
//! it calls replaced by a stub that records its arguments. Nothing but the stubs may run:
//! the payloads write a file with shell builtins, so any expansion leaves it behind.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::trustpath;

/// Writes a workflow checkout whose file name and `uses:` carry payloads.
fn hostile_workflows(root: &Path) {
    let dir = root.join("acme/web/.github/workflows");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let workflow = "on: [push]
permissions:
  contents: write
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: \"prod';echo>PWNED_ENV;'\"
    steps:
      - uses: evil/act@v1
      - uses: \"evil/two@v1\\necho>PWNED_USES\"
      - run: echo ${{ secrets.TOKEN_$(echo>PWNED_SECRET) }} ${{ secrets.PLAIN }}
";
    std::fs::write(dir.join("d$(echo>PWNED_FILE);.yml"), workflow).expect("write");
}

/// A native graph whose keys and names are payloads, on every platform the catalogue
/// writes commands for, and one revoke entry that brings its own commands, one of them
/// two lines.
fn hostile_graph(root: &Path) {
    let node = |id: &str, kind: &str, action: &str| {
        serde_json::json!({
            "id": id, "kind": kind, "criticality": 9, "admin": kind == "role",
            "revoke": [{ "id": format!("{action}:{id}"), "action": action, "cost": 1 }]
        })
    };
    let user = "arn:aws:iam::111122223333:user/$(echo>PWNED_USER)";
    let key = "AKIA`echo>PWNED_KEY`";
    let role = "arn:aws:iam::111122223333:role/x';echo>PWNED_ROLE;'";
    let sa = "k8s:prod:sa:ns/a\necho>PWNED_K8S";
    let gsa = "gcp:sa:$(echo>PWNED_GCP)@p.iam.gserviceaccount.com";
    let vault = "vault:role:approle/$(echo>PWNED_VAULT)";
    let secret = "vault:secret:secret/\"$(echo>PWNED_PATH)\"";
    // The key's own revoke entry brings its commands, the second one smuggled in.
    let mut key_node = node(key, "credential", "deactivate_key");
    key_node["revoke"][0]["commands"] = serde_json::json!([
        "aws iam list-access-keys",
        "kubectl get pods\necho>PWNED_SMUGGLED"
    ]);
    let doc = serde_json::json!({
        "schema": "trustpath/graph/v1",
        "nodes": [
            node(user, "service_account", "disable_identity"),
            key_node,
            node(role, "role", "revoke_sessions"),
            node(sa, "service_account", "disable_identity"),
            node(gsa, "service_account", "disable_identity"),
            node(vault, "role", "disable_identity"),
            node(secret, "secret", "delete_secret"),
        ],
        "edges": [
            { "from": key, "to": user, "kind": "authenticates_as" },
            { "from": user, "to": role, "kind": "can_assume",
              "revoke": [{ "id": "remove-trust:x", "action": "remove_trust", "cost": 1 }] },
            { "from": role, "to": sa, "kind": "can_control" },
            { "from": sa, "to": gsa, "kind": "can_assume",
              "revoke": [{ "id": "remove-binding:y", "action": "remove_binding", "cost": 1 }] },
            { "from": gsa, "to": vault, "kind": "can_assume" },
            { "from": vault, "to": secret, "kind": "can_read",
              "revoke": [{ "id": "detach-policy:z", "action": "detach_policy", "cost": 1 }] }
        ]
    });
    std::fs::write(root.join("hostile.graph.json"), doc.to_string()).expect("write");
}

/// An AWS export whose role, user and policy names carry payloads (AWS would refuse
/// them; a doctored file need not).
fn hostile_gaad(root: &Path) {
    let doc = serde_json::json!({
        "UserDetailList": [{
            "Path": "/", "UserName": "u$(echo>PWNED_USER2)", "UserId": "AIDAHOSTILE0000000001",
            "Arn": "arn:aws:iam::111122223333:user/u$(echo>PWNED_USER2)",
            "CreateDate": "2024-01-01T00:00:00Z",
            "UserPolicyList": [{ "PolicyName": "p;echo>PWNED_POLICY", "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{ "Effect": "Allow", "Action": ["sts:AssumeRole", "iam:CreateAccessKey"], "Resource": "*" }] } }],
            "GroupList": [], "AttachedManagedPolicies": [], "Tags": []
        }],
        "GroupDetailList": [],
        "RoleDetailList": [{
            "Path": "/", "RoleName": "r$(echo>PWNED_TRUST)", "RoleId": "AROAHOSTILE0000000001",
            "Arn": "arn:aws:iam::111122223333:role/r$(echo>PWNED_TRUST)",
            "CreateDate": "2024-01-01T00:00:00Z",
            "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::111122223333:user/u$(echo>PWNED_USER2)" },
                "Action": "sts:AssumeRole" }] },
            "InstanceProfileList": [],
            "RolePolicyList": [{ "PolicyName": "all`echo>PWNED_INLINE`", "PolicyDocument": {
                "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Action": "*", "Resource": "*" }] } }],
            "AttachedManagedPolicies": [], "Tags": []
        }],
        "Policies": []
    });
    std::fs::write(root.join("hostile.gaad.json"), doc.to_string()).expect("write");
}

/// Every command the importers wrote into the graph (`revoke[].commands` of the native
/// export), whatever the plan picks.
fn importer_commands(input: &Path) -> Vec<String> {
    let out = trustpath()
        .args([
            "-i",
            input.to_str().expect("utf-8 path"),
            "export",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let graph: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mut commands = Vec::new();
    for list in ["nodes", "edges"] {
        for item in graph[list].as_array().expect("list") {
            for revoke in item["revoke"].as_array().into_iter().flatten() {
                for c in revoke["commands"].as_array().into_iter().flatten() {
                    commands.push(c.as_str().expect("a string").to_string());
                }
            }
        }
    }
    commands
}

/// Every command of the plan for `compromised` over `input` (with more plan options).
fn commands(input: &Path, compromised: &str, more: &[&str]) -> Vec<String> {
    common::plan_commands(input, compromised, more)
}

#[test]
fn no_command_runs_anything_but_its_programs() {
    if !common::have("bash", &["--version"]) {
        return;
    }
    // The stubs replace PATH, so bash is run by its full path.
    let Some(bash) = Command::new("sh")
        .args(["-c", "command -v bash"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|p| !p.is_empty())
    else {
        eprintln!("bash is not installed: skipping");
        return;
    };
    let inputs = tempfile::tempdir().expect("temp dir");
    hostile_workflows(inputs.path());
    hostile_graph(inputs.path());
    let mut all = commands(inputs.path(), "github:action:evil/act@v1", &[]);
    all.extend(commands(inputs.path(), "AKIA`echo>PWNED_KEY`", &[]));
    all.extend(commands(
        inputs.path(),
        "github:action:evil/two@v1\necho>PWNED_USES",
        &[],
    ));
    all.extend(commands(
        inputs.path(),
        "arn:aws:iam::111122223333:role/x';echo>PWNED_ROLE;'",
        &[],
    ));
    // The importers' own commands, every one (the plan picks only some): the AWS export
    // and the workflows, without the native graph whose smuggled command is data there.
    let importers = tempfile::tempdir().expect("temp dir");
    hostile_workflows(importers.path());
    hostile_gaad(importers.path());
    let written = importer_commands(importers.path());
    assert!(
        written
            .iter()
            .any(|c| c.contains("update-assume-role-policy")),
        "the trust edit is among them: {written:#?}"
    );
    all.extend(written);
    for (what, part) in [
        ("the uses: comment", "evil/two@v1\\u{a}echo>PWNED_USES"),
        (
            "the smuggled command, as a comment",
            "# NOT RUN, it holds control characters: kubectl get pods\\u{a}echo>PWNED_SMUGGLED",
        ),
    ] {
        assert!(
            all.iter().any(|c| c.contains(part)),
            "{what} is in a plan: {all:#?}"
        );
    }
    assert!(all.len() >= 10, "plans with commands: {all:#?}");
    for c in &all {
        assert!(
            !c.chars().any(char::is_control),
            "a raw control character in {c:?}"
        );
    }
    // The stubs: every program a command names, recording its arguments.
    let work = tempfile::tempdir().expect("temp dir");
    let bin = work.path().join("bin");
    let run = work.path().join("run");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::fs::create_dir_all(&run).expect("mkdir");
    let programs: BTreeSet<&str> = all
        .iter()
        .flat_map(|c| c.split(['|', '(', ';', '&']))
        .filter_map(|part| part.split_whitespace().next())
        .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .chain([
            "jq", "date", "cat", "tee", "aws", "gh", "gcloud", "kubectl", "vault", "az",
        ])
        .collect();
    let log = work.path().join("calls.log");
    for p in &programs {
        let stub = bin.join(p);
        std::fs::write(
            &stub,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"{p} $*\" >> '{}'\nexit 0\n",
                log.display()
            ),
        )
        .expect("stub");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }
    for c in &all {
        let _ = Command::new(&bash)
            .args(["--norc", "--noprofile", "-c", c])
            .current_dir(&run)
            .env_clear()
            .env("PATH", &bin)
            .env("HOME", work.path())
            .output()
            .expect("bash runs");
    }
    let left: Vec<String> = std::fs::read_dir(&run)
        .expect("read")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        // A payload `echo>PWNED_X` leaves a file named PWNED_X; the commands' own
        // backups (`> 'r$(echo>PWNED_TRUST).trust.json'`) carry the name whole.
        .filter(|n| n.starts_with("PWNED"))
        .collect();
    assert!(left.is_empty(), "a payload ran: {left:?}\n{all:#?}");
    // The hostile names reached the programs whole, as arguments.
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        calls.contains("gh workflow disable d$(echo>PWNED_FILE);.yml -R acme/web"),
        "{calls}"
    );
}
