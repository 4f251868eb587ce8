//! AWS importer at scale: a generated `get-account-authorization-details` export with
//! 10,000 principals and 5,000 customer-managed policies, loaded and evaluated.
//!
//!     cargo bench --bench aws                 # 10,000 principals / 5,000 policies
//!     cargo bench --bench aws -- 20000 10000  # other sizes
//!
//! The shape mirrors a large account: most principals hold a few narrow policies, a
//! few hold IAM write access, roles trust services, the account or other roles.

use std::time::Instant;

use serde_json::{Value, json};
use trustpath::import::{Input, load_inputs};

use common::Rng;

mod common;

const ACCOUNT: &str = "111122223333";
const SERVICES: [&str; 5] = ["lambda", "ec2", "glue", "ecs-tasks", "codebuild"];
const ACTIONS: [&str; 8] = [
    "s3:GetObject",
    "s3:PutObject",
    "dynamodb:Query",
    "sqs:SendMessage",
    "kms:Decrypt",
    "logs:PutLogEvents",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
];

fn generate(principals: usize, policies: usize) -> Value {
    let mut rng = Rng(7);
    let policy = |i: usize, rng: &mut Rng| {
        let statement = if i.is_multiple_of(500) {
            json!({"Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"})
        } else {
            json!({"Effect": "Allow", "Action": [ACTIONS[rng.below(8)], ACTIONS[rng.below(8)]],
                   "Resource": format!("arn:aws:s3:::bucket-{}/*", rng.below(1000))})
        };
        json!({"PolicyName": format!("p{i}"), "PolicyId": format!("ANPA{i:016}"),
               "Arn": format!("arn:aws:iam::{ACCOUNT}:policy/p{i}"), "Path": "/", "DefaultVersionId": "v1",
               "AttachmentCount": 1, "IsAttachable": true,
               "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": [statement]},
                                      "VersionId": "v1", "IsDefaultVersion": true}]})
    };
    let attached = |rng: &mut Rng| -> Vec<Value> {
        (0..3)
            .map(|_| {
                let p = rng.below(policies);
                json!({"PolicyName": format!("p{p}"), "PolicyArn": format!("arn:aws:iam::{ACCOUNT}:policy/p{p}")})
            })
            .collect()
    };
    let users: Vec<Value> = (0..principals / 2)
        .map(|i| {
            json!({"UserName": format!("u{i}"), "UserId": format!("AIDA{i:016}"), "Path": "/",
                   "Arn": format!("arn:aws:iam::{ACCOUNT}:user/u{i}"), "GroupList": [format!("g{}", i % 50)],
                   "AttachedManagedPolicies": attached(&mut rng), "UserPolicyList": []})
        })
        .collect();
    let roles: Vec<Value> = (0..principals - principals / 2)
        .map(|i| {
            let trust = match i % 3 {
                0 => json!({"Service": format!("{}.amazonaws.com", SERVICES[rng.below(5)])}),
                1 => json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}),
                _ => json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:role/r{}", rng.below(principals / 2))}),
            };
            json!({"RoleName": format!("r{i}"), "RoleId": format!("AROA{i:016}"), "Path": "/",
                   "Arn": format!("arn:aws:iam::{ACCOUNT}:role/r{i}"),
                   "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                       {"Effect": "Allow", "Principal": trust, "Action": "sts:AssumeRole"}]},
                   "AttachedManagedPolicies": attached(&mut rng), "RolePolicyList": [], "InstanceProfileList": []})
        })
        .collect();
    let groups: Vec<Value> = (0..50)
        .map(|i| {
            json!({"GroupName": format!("g{i}"), "GroupId": format!("AGPA{i:016}"), "Path": "/",
                         "Arn": format!("arn:aws:iam::{ACCOUNT}:group/g{i}"),
                         "AttachedManagedPolicies": attached(&mut rng), "GroupPolicyList": []})
        })
        .collect();
    let policies: Vec<Value> = (0..policies).map(|i| policy(i, &mut rng)).collect();
    json!({"UserDetailList": users, "RoleDetailList": roles, "GroupDetailList": groups, "Policies": policies})
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (principals, policies) = (
        args.first().copied().unwrap_or(10_000),
        args.get(1).copied().unwrap_or(5_000),
    );
    let doc = serde_json::to_vec(&generate(principals, policies)).expect("serialize");
    let start = Instant::now();
    let loaded = load_inputs([Input::bytes("gaad.json", doc.clone())]).expect("loads");
    let elapsed = start.elapsed();
    println!(
        "{principals} principals, {policies} policies, {:.1} MB GAAD: import + evaluation {:.2} s -> {} nodes, {} edges",
        doc.len() as f64 / 1e6,
        elapsed.as_secs_f64(),
        loaded.graph.node_count(),
        loaded.graph.edge_count()
    );
}
