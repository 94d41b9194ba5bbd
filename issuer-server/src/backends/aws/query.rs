//! The AWS Query protocol client (IAM `2010-05-08`, STS `2011-06-15`): a form-encoded `POST`
//! of `Action`, `Version` and the operation's members, signed with SigV4; the answer is an XML
//! document `<{Action}Response><{Action}Result>...` (the model's `resultWrapper`), or an error
//! document `<ErrorResponse><Error><Code/><Message/></Error>`. XML is read with `quick-xml`'s
//! serde support into the operation's own response type.

use std::time::Duration;

use credential_issuer_spec::Secret;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::AwsError;
use super::sigv4::Signer;

/// How long one AWS call may take before it counts as a failure.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A client of one Query API service at one endpoint.
#[derive(Debug, Clone)]
pub(crate) struct QueryClient {
    http: reqwest::Client,
    endpoint: url::Url,
    version: &'static str,
    signer: Signer,
}

impl QueryClient {
    /// A client of the service whose API version is `version`, at `endpoint`.
    pub(crate) fn new(endpoint: url::Url, version: &'static str, signer: Signer) -> Self {
        Self {
            http: reqwest::Client::new(),
            endpoint,
            version,
            signer,
        }
    }

    /// Calls `action` with the members `params`, and reads the answer as `T`.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        action: &'static str,
        params: &[(&str, &str)],
    ) -> Result<T, AwsError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", action)
            .append_pair("Version", self.version)
            .extend_pairs(params.iter().copied())
            .finish();
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let url = self.endpoint.as_str();
        let signed = self.signer.sign(
            action,
            url,
            &[("content-type", content_type)],
            body.as_bytes(),
        )?;
        let mut request = self
            .http
            .post(url)
            .timeout(TIMEOUT)
            .header("content-type", content_type);
        for (name, value) in &signed {
            request = request.header(name.as_str(), value.as_str());
        }
        let transport = |source| AwsError::Transport { action, source };
        let response = request.body(body).send().await.map_err(transport)?;
        let status = response.status();
        let text = response.text().await.map_err(transport)?;
        if !status.is_success() {
            return Err(service_error(action, status.as_u16(), &text));
        }
        quick_xml::de::from_str(&text).map_err(|e| AwsError::Malformed {
            action,
            message: e.to_string(),
        })
    }
}

/// An error document: `<ErrorResponse><Error>` (IAM, STS), or `<Response><Errors><Error>` as
/// some services and emulators write it.
#[derive(Debug, Deserialize)]
struct ErrorDocument {
    #[serde(rename = "Error")]
    error: Option<ErrorBody>,
    #[serde(rename = "Errors")]
    errors: Option<ErrorList>,
}

#[derive(Debug, Deserialize)]
struct ErrorList {
    #[serde(rename = "Error")]
    error: Option<ErrorBody>,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(rename = "Code", default)]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
}

/// The error AWS answered with.
fn service_error(action: &'static str, status: u16, text: &str) -> AwsError {
    let body = quick_xml::de::from_str::<ErrorDocument>(text)
        .ok()
        .and_then(|doc| doc.error.or(doc.errors.and_then(|list| list.error)));
    match body {
        Some(body) => AwsError::Service {
            action,
            status,
            code: body.code,
            message: body.message,
        },
        None => AwsError::Service {
            action,
            status,
            code: "Unknown".to_owned(),
            message: "no error document in the answer".to_owned(),
        },
    }
}

/// A list member: `<Name><member>...</member>...</Name>`.
#[derive(Debug, Deserialize)]
pub(crate) struct Members<T> {
    #[serde(rename = "member", default = "Vec::new")]
    pub(crate) member: Vec<T>,
}

impl<T> Default for Members<T> {
    fn default() -> Self {
        Self { member: Vec::new() }
    }
}

/// A secret member of an answer (`SecretAccessKey`, `SessionToken`): read as a [`Secret`], so
/// that it never shows in `Debug` output.
#[derive(Debug, Deserialize)]
#[serde(from = "String")]
pub(crate) struct SecretText(pub(crate) Secret);

impl From<String> for SecretText {
    fn from(value: String) -> Self {
        Self(Secret::new(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_documents_of_both_shapes_give_the_code() {
        let iam = r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>LimitExceeded</Code><Message>Cannot exceed quota for AccessKeysPerUser: 2</Message></Error><RequestId>x</RequestId></ErrorResponse>"#;
        assert_eq!(
            service_error("CreateAccessKey", 409, iam).code(),
            Some("LimitExceeded")
        );
        let other = "<Response><Errors><Error><Code>NoSuchEntity</Code><Message>m</Message></Error></Errors></Response>";
        assert!(service_error("DeleteAccessKey", 404, other).is_no_such_entity());
        assert_eq!(
            service_error("DeleteAccessKey", 500, "oops").code(),
            Some("Unknown")
        );
    }
}
