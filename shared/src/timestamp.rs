//! Modification times of inventoried files, and how much each one can be trusted.

use serde::{Deserialize, Serialize};
use time::{
    OffsetDateTime, PrimitiveDateTime, format_description::BorrowedFormatItem,
    macros::format_description,
};

const UTC_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
const ZONELESS_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");

/// Where a modification time came from. The order is the order of trust: an
/// exact UTC time always beats a zone-less DOS time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// MS-DOS date and time from the zip header: local time of the machine that
    /// made the zip, zone unknown, 2-second precision.
    DosLocal,
    /// Windows NTFS extra field (0x000a): UTC, 100 ns ticks.
    Ntfs,
    /// Info-ZIP extended timestamp extra field (0x5455): UTC seconds.
    ExtendedTimestamp,
    /// The file system's own modification time (folders on disk, files picked in a browser).
    FileSystem,
}

/// A modification time in seconds since the Unix epoch.
///
/// For [`TimeSource::DosLocal`] the seconds are the wall-clock reading taken as
/// if it were UTC: the true zone is not recorded anywhere in the zip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Modified {
    pub unix_seconds: i64,
    pub source: TimeSource,
}

impl Modified {
    pub fn exact(unix_seconds: i64, source: TimeSource) -> Self {
        Self {
            unix_seconds,
            source,
        }
    }

    /// True when the time carries no zone (a DOS time): it must not be shown as UTC.
    pub fn is_zoneless(&self) -> bool {
        self.source == TimeSource::DosLocal
    }

    /// ISO 8601: `2025-12-24T20:31:08Z` for UTC times, no `Z` for zone-less ones.
    pub fn to_iso(&self) -> String {
        let Ok(at) = OffsetDateTime::from_unix_timestamp(self.unix_seconds) else {
            return String::from("invalid");
        };
        let format = if self.is_zoneless() {
            ZONELESS_FORMAT
        } else {
            UTC_FORMAT
        };
        at.format(format)
            .unwrap_or_else(|_| String::from("invalid"))
    }

    /// From the MS-DOS fields of a zip header; `None` when the fields do not
    /// form a real date (some tools write zeros).
    pub fn from_dos(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Option<Self> {
        let month = time::Month::try_from(month).ok()?;
        let date = time::Date::from_calendar_date(i32::from(year), month, day).ok()?;
        let clock = time::Time::from_hms(hour, minute, second).ok()?;
        let seconds = PrimitiveDateTime::new(date, clock)
            .assume_utc()
            .unix_timestamp();
        Some(Self::exact(seconds, TimeSource::DosLocal))
    }

    /// From an NTFS FILETIME: 100-nanosecond ticks since 1601-01-01 UTC.
    pub fn from_ntfs_ticks(ticks: u64) -> Option<Self> {
        const TICKS_PER_SECOND: u64 = 10_000_000;
        const SECONDS_FROM_1601_TO_1970: i64 = 11_644_473_600;
        if ticks == 0 {
            return None;
        }
        let seconds = i64::try_from(ticks / TICKS_PER_SECOND).ok()? - SECONDS_FROM_1601_TO_1970;
        Some(Self::exact(seconds, TimeSource::Ntfs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_end_in_z() {
        let at = Modified::exact(1_766_608_268, TimeSource::ExtendedTimestamp);
        assert_eq!(at.to_iso(), "2025-12-24T20:31:08Z");
    }

    #[test]
    fn dos_times_are_shown_without_a_zone() {
        let at = Modified::from_dos(2025, 12, 24, 20, 31, 8).unwrap();
        assert!(at.is_zoneless());
        assert_eq!(at.to_iso(), "2025-12-24T20:31:08");
    }

    #[test]
    fn impossible_dos_dates_are_rejected() {
        assert!(Modified::from_dos(1980, 0, 0, 0, 0, 0).is_none());
        assert!(Modified::from_dos(2025, 2, 30, 0, 0, 0).is_none());
    }

    #[test]
    fn ntfs_ticks_convert_to_unix_seconds() {
        // 2025-12-24T20:31:08Z as a FILETIME.
        let ticks = (1_766_608_268u64 + 11_644_473_600) * 10_000_000 + 1234;
        let at = Modified::from_ntfs_ticks(ticks).unwrap();
        assert_eq!(at.to_iso(), "2025-12-24T20:31:08Z");
        assert_eq!(at.source, TimeSource::Ntfs);
    }
}
