//! Instants on the wire: RFC 3339 strings in UTC (spec §"Conventions").

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

/// An instant, written on the wire as an RFC 3339 string in UTC with millisecond precision.
///
/// Any RFC 3339 offset is accepted when reading; the value is normalised to UTC and truncated to
/// milliseconds, so that a value read back from storage serialises to the same bytes (the audit
/// hash chain depends on that).
///
/// ```
/// use credential_issuer_spec::Timestamp;
/// let t: Timestamp = "2026-11-22T23:00:00.5+01:00".parse().unwrap();
/// assert_eq!(t.to_string(), "2026-11-22T22:00:00.5Z");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

/// Why a string is not an RFC 3339 timestamp.
#[derive(Debug, thiserror::Error)]
#[error("not an RFC 3339 timestamp: {0}")]
pub struct TimestampError(#[from] time::error::Parse);

impl Timestamp {
    /// The current instant.
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    /// Wraps a `time` value, normalising it to UTC and milliseconds.
    pub fn from_datetime(value: OffsetDateTime) -> Self {
        let utc = value.to_offset(UtcOffset::UTC);
        let millis = utc.millisecond();
        // `replace_millisecond` only fails for values above 999, which `millisecond()` never returns.
        let truncated = utc.replace_millisecond(millis).unwrap_or(utc);
        Self(truncated)
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// Milliseconds since the Unix epoch (how stores keep instants).
    pub fn unix_millis(self) -> i64 {
        i64::try_from(self.0.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    }

    /// The instant `millis` milliseconds after the Unix epoch, if representable.
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .ok()
            .map(Self::from_datetime)
    }

    /// The instant as a `time` value in UTC.
    pub fn as_datetime(self) -> OffsetDateTime {
        self.0
    }

    /// This instant moved forward by `seconds` (saturating at the far future).
    pub fn plus_seconds(self, seconds: u64) -> Self {
        let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(Duration::seconds(seconds)))
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_datetime(OffsetDateTime::parse(s, &Rfc3339)?))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(s) => f.write_str(&s),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = Cow::<str>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date-time",
            "description": "An RFC 3339 date-time in UTC."
        })
    }
}
