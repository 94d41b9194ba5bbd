//! `credctl discover`: what an issuer offers, as a summary or as its manifest.

use credential_issuer_spec::ChecksumScheme;

use super::Session;
use crate::failure::Failure;

pub(crate) async fn run(session: &Session) -> Result<(), Failure> {
    let issuer = session.client.discover(&session.issuer).await?;
    let out = &session.out;
    if out.json {
        out.json(&issuer.discovery().manifest_json);
        return Ok(());
    }
    let m = issuer.manifest();
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "-".to_owned()
        } else {
            items.join(", ")
        }
    };
    out.line(&format!("issuer        {}", m.issuer));
    out.line(&format!("spec version  {}", m.spec_version));
    out.line(&format!("endpoint      {}", m.credential_issuer_endpoint));
    out.line(&format!(
        "operations    {}",
        list(
            m.supported_operations
                .iter()
                .map(ToString::to_string)
                .collect()
        )
    ));
    out.line(&format!(
        "types         {}",
        list(
            m.supported_credential_types
                .iter()
                .map(ToString::to_string)
                .collect()
        )
    ));
    out.line(&format!(
        "auth          {}",
        list(m.auth_methods.iter().map(ToString::to_string).collect())
    ));
    match &m.rotation {
        Some(r) => out.line(&format!(
            "rotation      {} (default grace {}, max grace {}, at most {} valid versions)",
            list(
                r.modes
                    .iter()
                    .map(|mode| serde_json::to_value(mode)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default())
                    .collect()
            ),
            seconds(r.default_grace_period_seconds),
            seconds(r.max_grace_period_seconds),
            r.max_active_versions
        )),
        None => out.line("rotation      not offered"),
    }
    match &m.expiry {
        Some(e) => out.line(&format!(
            "expiry        {} to {}{}",
            seconds(e.min_ttl_seconds),
            seconds(e.max_ttl_seconds),
            e.default_ttl_seconds
                .map_or_else(String::new, |d| format!(", default {}", seconds(d)))
        )),
        None => out.line("expiry        not offered"),
    }
    for format in &m.secret_formats {
        let checksum = match format.checksum {
            ChecksumScheme::Crc32Base62 => "crc32-base62 checksum",
            ChecksumScheme::None => "no checksum",
        };
        out.line(&format!(
            "secrets       {}: prefix {}, /{}/, {checksum}",
            format.credential_type, format.prefix, format.regex
        ));
    }
    for step in &m.manual_steps {
        out.line(&format!(
            "manual step   {}: {} ({})",
            step.operation, step.instructions, step.console_url
        ));
    }
    out.line(&format!(
        "permissions   {}",
        list(
            issuer
                .permission_schema()
                .permissions
                .iter()
                .map(|p| p.id.to_string())
                .collect()
        )
    ));
    Ok(())
}

fn seconds(value: u64) -> String {
    humantime::format_duration(std::time::Duration::from_secs(value)).to_string()
}
