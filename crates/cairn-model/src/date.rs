//! Approximate dates: a year, a month or a day, with a certainty — testimony rarely gives more.
//!
//! A date is stored in a document as one string (`2019`, `2019-03`, `2019-03-14`), so two
//! workers' concurrent edits of a date conflict as a whole instead of merging into a date
//! neither of them wrote.

use std::fmt;

use crate::ModelError;

/// How precise an [`ApproxDate`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DatePrecision {
    /// Only the year is known.
    Year,
    /// Year and month are known.
    Month,
    /// The day is known.
    Day,
}

impl DatePrecision {
    /// Stable name (`year`, `month`, `day`).
    pub fn name(self) -> &'static str {
        match self {
            DatePrecision::Year => "year",
            DatePrecision::Month => "month",
            DatePrecision::Day => "day",
        }
    }
}

/// A date known to a year, a month or a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApproxDate {
    /// Year (1800–2200).
    pub year: u16,
    /// Month 1–12, if known.
    pub month: Option<u8>,
    /// Day of the month, if known (only with a month).
    pub day: Option<u8>,
}

impl ApproxDate {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, checking that the date exists.
    pub fn parse(text: &str) -> Result<ApproxDate, ModelError> {
        let mut parts = text.trim().split('-');
        let number = |part: Option<&str>, digits: usize| -> Result<Option<u16>, ModelError> {
            match part {
                None => Ok(None),
                Some(part) if part.len() == digits && part.bytes().all(|b| b.is_ascii_digit()) => {
                    part.parse().map(Some).map_err(|_| ModelError::InvalidDate)
                }
                Some(_) => Err(ModelError::InvalidDate),
            }
        };
        let year = number(parts.next(), 4)?.ok_or(ModelError::InvalidDate)?;
        let month = number(parts.next(), 2)?.map(|m| m as u8);
        let day = number(parts.next(), 2)?.map(|d| d as u8);
        if parts.next().is_some() || !(1800..=2200).contains(&year) {
            return Err(ModelError::InvalidDate);
        }
        if let Some(month) = month {
            if !(1..=12).contains(&month) {
                return Err(ModelError::InvalidDate);
            }
            if let Some(day) = day
                && (day == 0 || day > days_in_month(year, month))
            {
                return Err(ModelError::InvalidDate);
            }
        }
        Ok(ApproxDate { year, month, day })
    }

    /// How precise the date is.
    pub fn precision(&self) -> DatePrecision {
        match (self.month, self.day) {
            (Some(_), Some(_)) => DatePrecision::Day,
            (Some(_), None) => DatePrecision::Month,
            _ => DatePrecision::Year,
        }
    }

    /// The earliest day this date may mean, as (year, month, day), for ordering ranges.
    pub fn earliest(&self) -> (u16, u8, u8) {
        (self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
    }

    /// The latest day this date may mean, as (year, month, day).
    pub fn latest(&self) -> (u16, u8, u8) {
        let month = self.month.unwrap_or(12);
        (self.year, month, self.day.unwrap_or_else(|| days_in_month(self.year, month)))
    }
}

impl fmt::Display for ApproxDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(month) = self.month {
            write!(f, "-{month:02}")?;
            if let Some(day) = self.day {
                write!(f, "-{day:02}")?;
            }
        }
        Ok(())
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        _ => 31,
    }
}

/// How sure the source is about a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certainty {
    /// Stated precisely and believed.
    Exact,
    /// Roughly right ("around the Lunar New Year").
    Approximate,
    /// Doubtful or reconstructed.
    Uncertain,
}

impl Certainty {
    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            Certainty::Exact => "exact",
            Certainty::Approximate => "approximate",
            Certainty::Uncertain => "uncertain",
        }
    }

    /// Parses a stable name.
    pub fn parse(text: &str) -> Result<Certainty, ModelError> {
        match text.trim() {
            "exact" => Ok(Certainty::Exact),
            "approximate" => Ok(Certainty::Approximate),
            "uncertain" => Ok(Certainty::Uncertain),
            _ => Err(ModelError::InvalidCertainty),
        }
    }
}

/// Checks that a range's end (if any) does not come before its start.
pub fn check_range(start: Option<&ApproxDate>, end: Option<&ApproxDate>) -> Result<(), ModelError> {
    match (start, end) {
        (Some(start), Some(end)) if end.latest() < start.earliest() => Err(ModelError::DateRangeReversed),
        (None, Some(_)) => Err(ModelError::InvalidDate),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_date(text: &str, precision: Option<DatePrecision>) {
        match (ApproxDate::parse(text), precision) {
            (Ok(date), Some(expected)) => {
                assert_eq!(date.precision(), expected, "{text}");
                assert_eq!(date.to_string(), text.trim(), "{text} does not round-trip");
            }
            (Err(error), None) => assert_eq!(error, ModelError::InvalidDate, "{text}"),
            (outcome, expected) => panic!("{text}: got {outcome:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn dates_parse_with_their_precision() {
        check_date("2019", Some(DatePrecision::Year));
        check_date("2019-03", Some(DatePrecision::Month));
        check_date("2019-03-14", Some(DatePrecision::Day));
        check_date("2020-02-29", Some(DatePrecision::Day));
        check_date("2019-02-29", None);
        check_date("2019-13", None);
        check_date("2019-00", None);
        check_date("19", None);
        check_date("2019-3", None);
        check_date("2019-03-14-01", None);
        check_date("1700", None);
        check_date("", None);
        check_date("abcd", None);
    }

    #[test]
    fn ranges_must_not_run_backwards() {
        let date = |text| ApproxDate::parse(text).expect("date");
        assert!(check_range(Some(&date("2019")), Some(&date("2019-05"))).is_ok());
        // "2019-05" to "2019" overlaps: the year covers May.
        assert!(check_range(Some(&date("2019-05")), Some(&date("2019"))).is_ok());
        assert_eq!(check_range(Some(&date("2019-05")), Some(&date("2019-04-30"))), Err(ModelError::DateRangeReversed));
        assert_eq!(check_range(None, Some(&date("2019"))), Err(ModelError::InvalidDate));
        assert_eq!(Certainty::parse("approximate"), Ok(Certainty::Approximate));
        assert_eq!(Certainty::parse("sure"), Err(ModelError::InvalidCertainty));
    }
}
