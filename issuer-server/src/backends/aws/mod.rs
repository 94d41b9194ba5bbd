//! AWS shims: access keys of an IAM user (`aws-iam`), Amazon Bedrock API keys (`aws-bedrock`)
//! and STS role sessions (`aws-sts`), over the AWS Query API signed with SigV4.
//!
//! A gateway hosts them with `[[issuers]]` tables:
//!
//! ```toml
//! [[issuers]]
//! path = "aws-iam"
//! backend = "aws-iam"              # or "aws-bedrock" (same settings)
//! [issuers.settings]
//! user_name = "ci-deployer"        # the IAM user whose keys are managed; it must exist
//! # endpoint_url = "https://iam.amazonaws.com/"   (default; a moto_server in tests)
//! # region = "us-east-1"                          (default)
//! [issuers.credentials]            # the admin credential the shim signs with
//! access_key_id = { env = "AWS_ACCESS_KEY_ID" }
//! secret_access_key = { file = "/run/secrets/aws" }
//! # session_token = { env = "AWS_SESSION_TOKEN" }  (for temporary admin credentials)
//!
//! [[issuers]]
//! path = "aws-sts"
//! backend = "aws-sts"
//! [issuers.settings]
//! role_arn = "arn:aws:iam::123456789012:role/deployer"
//! # endpoint_url = "https://sts.amazonaws.com/", region = "us-east-1",
//! # default_duration_seconds = 3600, external_id = "..."
//! ```
//!
//! What each allows (and so what its manifest claims):
//!
//! | backend | create | rotate | revoke | list | expiry |
//! | --- | --- | --- | --- | --- | --- |
//! | `aws-iam` | `CreateAccessKey` | overlap, immediate; at most 2 keys per user | `UpdateAccessKey` Inactive, `DeleteAccessKey` | `ListAccessKeys` (console keys adopted) | never |
//! | `aws-bedrock` | `CreateServiceSpecificCredential` (`bedrock.amazonaws.com`) | overlap, immediate (create new, delete old); at most 2 | `DeleteServiceSpecificCredential` | `ListServiceSpecificCredentials` | 1 to 36600 days |
//! | `aws-sts` | `AssumeRole` | overlap (new session; the old one lives to its expiration) | not possible | not possible | 900 to 43200 s |
//!
//! The admin key needs, for `aws-iam`: `iam:CreateAccessKey`, `iam:UpdateAccessKey`,
//! `iam:DeleteAccessKey`, `iam:ListAccessKeys` on the user; for `aws-bedrock`:
//! `iam:CreateServiceSpecificCredential`, `iam:DeleteServiceSpecificCredential`,
//! `iam:ListServiceSpecificCredentials`; for `aws-sts`: `sts:AssumeRole` on the role.
//!
//! The secret served is the secret access key (or the Bedrock API key); an access key id is
//! the version's `key_id` (public, so not a `secret_attributes` member, whose values are
//! secrets), and an STS session token is `secret_attributes.session_token`. A failed AWS call is answered 502
//! `upstream-unavailable` and changes nothing. An old key whose overlap ends is retired by the
//! server's durable retirement queue, so a restart in between does not leave it working.

pub mod bedrock;
pub mod error;
pub mod iam;
mod query;
pub mod settings;
pub mod sigv4;
pub mod sts;

pub use bedrock::BedrockBackend;
pub use iam::IamBackend;
pub use sts::StsBackend;
