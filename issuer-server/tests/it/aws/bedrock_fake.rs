//! A local fake of IAM's service-specific credential operations for Bedrock API keys, which
//! moto does not implement. It is hand-written, so it follows the wire format of botocore's
//! model of IAM field for field: `botocore/data/iam/2010-05-08/service-2.json` (botocore
//! 1.43, shipped gzipped as `service-2.json.gz`): the Query protocol (a form-encoded `POST`
//! with `Action` and `Version=2010-05-08`, SigV4 for service `iam`), the result wrappers
//! `{Action}Result`, the shapes `ServiceSpecificCredential` and
//! `ServiceSpecificCredentialMetadata` with their member names, the list wrapper `member`, and
//! the errors `LimitExceeded` (409, two credentials per service and user), `NoSuchEntity` (404)
//! and `NotSupportedService` (404) in an `<ErrorResponse><Error>` document.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use credential_issuer_spec::Timestamp;

/// The access key id of the admin key the fake expects requests to be signed with.
pub(crate) const ADMIN_KEY_ID: &str = "AKIAFAKEADMIN0000001";

const NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

#[derive(Debug, Clone)]
struct Credential {
    id: String,
    user: String,
    secret: String,
    age_days: Option<u64>,
    created: Timestamp,
}

#[derive(Debug, Default)]
struct Held {
    credentials: Vec<Credential>,
    unsigned: usize,
}

/// The fake, serving on a loopback port until dropped.
pub(crate) struct FakeIam {
    pub(crate) endpoint: String,
    held: Arc<Mutex<Held>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeIam {
    pub(crate) async fn start() -> Self {
        let held = Arc::new(Mutex::new(Held::default()));
        let app = axum::Router::new()
            .route("/", post(handle))
            .with_state(held.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}/", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            endpoint,
            held,
            task,
        }
    }

    /// The credentials held: (id, CredentialAgeDays).
    pub(crate) fn held(&self) -> Vec<(String, Option<u64>)> {
        let held = self.held.lock().unwrap();
        held.credentials
            .iter()
            .map(|c| (c.id.clone(), c.age_days))
            .collect()
    }

    pub(crate) fn secret_of(&self, id: &str) -> Option<String> {
        let held = self.held.lock().unwrap();
        held.credentials
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.secret.clone())
    }

    /// Whether every request carried a SigV4 `Authorization` for the admin key and `iam`.
    pub(crate) fn every_request_was_signed(&self) -> bool {
        self.held.lock().unwrap().unsigned == 0
    }
}

impl Drop for FakeIam {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type><Code>{code}</Code>\
         <Message>{message}</Message></Error><RequestId>fake</RequestId></ErrorResponse>"
    );
    (status, [("content-type", "text/xml")], body).into_response()
}

fn answer(action: &str, result: &str) -> Response {
    let body = format!(
        "<{action}Response xmlns=\"{NS}\"><{action}Result>{result}</{action}Result>\
         <ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></{action}Response>"
    );
    ([("content-type", "text/xml")], body).into_response()
}

fn empty_answer(action: &str) -> Response {
    let body = format!(
        "<{action}Response xmlns=\"{NS}\"><ResponseMetadata><RequestId>fake</RequestId>\
         </ResponseMetadata></{action}Response>"
    );
    ([("content-type", "text/xml")], body).into_response()
}

fn expiration(c: &Credential) -> String {
    c.age_days
        .map(|days| {
            format!(
                "<ExpirationDate>{}</ExpirationDate>",
                c.created.plus_seconds(days * 86_400)
            )
        })
        .unwrap_or_default()
}

async fn handle(
    State(held): State<Arc<Mutex<Held>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let get = |name: &str| form.get(name).map(String::as_str);
    let mut held = held.lock().unwrap();
    let signed = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with(&format!("AWS4-HMAC-SHA256 Credential={ADMIN_KEY_ID}/"))
                && v.contains("/us-east-1/iam/aws4_request")
                && v.contains("Signature=")
        });
    if !signed || headers.get("x-amz-date").is_none() || get("Version") != Some("2010-05-08") {
        held.unsigned += 1;
        return error(StatusCode::FORBIDDEN, "InvalidClientTokenId", "not signed");
    }
    let action = get("Action").unwrap_or_default().to_owned();
    let service_ok = |name: Option<&str>| name.is_none_or(|n| n == "bedrock.amazonaws.com");
    match action.as_str() {
        "CreateServiceSpecificCredential" => {
            let (Some(user), Some(service)) = (get("UserName"), get("ServiceName")) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "ValidationError",
                    "UserName and ServiceName are required",
                );
            };
            if !service_ok(Some(service)) {
                return error(
                    StatusCode::NOT_FOUND,
                    "NotSupportedService",
                    "unsupported service",
                );
            }
            if held.credentials.iter().filter(|c| c.user == user).count() >= 2 {
                return error(
                    StatusCode::CONFLICT,
                    "LimitExceeded",
                    "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2",
                );
            }
            let age_days = match get("CredentialAgeDays").map(str::parse::<u64>) {
                None => None,
                Some(Ok(days)) if (1..=36_600).contains(&days) => Some(days),
                Some(_) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "ValidationError",
                        "CredentialAgeDays out of range",
                    );
                }
            };
            let n = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
            let credential = Credential {
                id: format!("ACCA{}", &n[..21]),
                user: user.to_owned(),
                secret: format!("ABSK{}", uuid::Uuid::new_v4().simple()),
                age_days,
                created: Timestamp::now(),
            };
            let c = &credential;
            let result = format!(
                "<ServiceSpecificCredential><CreateDate>{}</CreateDate>{}\
                 <ServiceName>bedrock.amazonaws.com</ServiceName>\
                 <ServiceCredentialAlias>{}-at-123456789012</ServiceCredentialAlias>\
                 <ServiceCredentialSecret>{}</ServiceCredentialSecret>\
                 <ServiceSpecificCredentialId>{}</ServiceSpecificCredentialId>\
                 <UserName>{}</UserName><Status>Active</Status></ServiceSpecificCredential>",
                c.created,
                expiration(c),
                c.user,
                c.secret,
                c.id,
                c.user
            );
            held.credentials.push(credential);
            answer(&action, &result)
        }
        "DeleteServiceSpecificCredential" => {
            let Some(id) = get("ServiceSpecificCredentialId") else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "ValidationError",
                    "ServiceSpecificCredentialId is required",
                );
            };
            let before = held.credentials.len();
            held.credentials.retain(|c| c.id != id);
            if held.credentials.len() == before {
                return error(StatusCode::NOT_FOUND, "NoSuchEntity", "no such credential");
            }
            empty_answer(&action)
        }
        "ListServiceSpecificCredentials" => {
            if !service_ok(get("ServiceName")) {
                return error(
                    StatusCode::NOT_FOUND,
                    "NotSupportedService",
                    "unsupported service",
                );
            }
            let user = get("UserName");
            let members: String = held
                .credentials
                .iter()
                .filter(|c| user.is_none_or(|u| u == c.user))
                .map(|c| {
                    format!(
                        "<member><UserName>{}</UserName><Status>Active</Status>\
                         <ServiceCredentialAlias>{}-at-123456789012</ServiceCredentialAlias>\
                         <CreateDate>{}</CreateDate>{}\
                         <ServiceSpecificCredentialId>{}</ServiceSpecificCredentialId>\
                         <ServiceName>bedrock.amazonaws.com</ServiceName></member>",
                        c.user,
                        c.user,
                        c.created,
                        expiration(c),
                        c.id
                    )
                })
                .collect();
            answer(
                &action,
                &format!(
                    "<ServiceSpecificCredentials>{members}</ServiceSpecificCredentials><IsTruncated>false</IsTruncated>"
                ),
            )
        }
        _ => error(StatusCode::BAD_REQUEST, "InvalidAction", "unknown action"),
    }
}
