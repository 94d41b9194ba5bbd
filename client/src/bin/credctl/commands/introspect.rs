//! `credctl introspect`: the secret is read from a file or standard input, never from the
//! command line (where `ps` and shell history would see it).

use std::io::Read;

use credential_issuer_spec::Secret;

use super::Session;
use crate::args::IntrospectArgs;
use crate::failure::Failure;
use crate::output::scope;

pub(crate) async fn run(session: &Session, args: IntrospectArgs) -> Result<(), Failure> {
    let mut raw = String::new();
    let path = args.secret_file;
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut raw)
            .map_err(|e| Failure::Io(format!("cannot read the secret from standard input: {e}")))?;
    } else {
        raw = std::fs::read_to_string(&path)
            .map_err(|e| Failure::Io(format!("cannot read {}: {e}", path.display())))?;
    }
    let secret = raw.trim();
    if secret.is_empty() {
        return Err(Failure::Usage(
            "no secret given (pipe it in, or use --secret-file)".into(),
        ));
    }
    let answer = session
        .issuer()
        .await?
        .introspect(&Secret::new(secret.to_owned()))
        .await?;
    if session.out.json {
        session.out.json(&answer);
    } else if answer.active {
        let id = answer
            .credential_id
            .as_ref()
            .map_or_else(String::new, ToString::to_string);
        session.out.line(&format!(
            "{} {id} version {} ({})",
            session.out.status("active"),
            answer.version.unwrap_or_default(),
            answer
                .credential_type
                .as_ref()
                .map_or_else(String::new, ToString::to_string),
        ));
        session.out.line(&format!(
            "scope   {}",
            answer.scope.as_deref().map(scope).unwrap_or_default()
        ));
        if let Some(expires) = answer.expires_at {
            session.out.line(&format!("expires {expires}"));
        }
    }
    if answer.active {
        Ok(())
    } else {
        Err(Failure::Inactive)
    }
}
