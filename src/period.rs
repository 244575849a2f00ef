//! Takes a period as a user writes it (`2020Q4`, `2020-11`, `2020`, or two dates) and gives
//! its first day S, last day E (both inclusive) and as-of day D = E; also the contract's dates.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Parses a contract date: `YYYY-MM-DD`, `YYYYMMDD` or `YYYY.MM.DD`, into days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i32> {
    // Byte positions below are character positions only in ASCII text.
    let b = s.as_bytes();
    let (y, m, d) = match b.len() {
        10 if (b[4] == b'-' && b[7] == b'-') || (b[4] == b'.' && b[7] == b'.') => {
            (&b[0..4], &b[5..7], &b[8..10])
        }
        8 => (&b[0..4], &b[4..6], &b[6..8]),
        _ => return None,
    };
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let (year, month, day) = (number(y)?, number(m)?, number(d)?);
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=month_days)
        .contains(&day)
        .then(|| days_from_civil(year as i32, month, day))
}

/// The quarter of a day, as one number (year * 4 + quarter - 1).
pub fn quarter_of(day: i32) -> i32 {
    let (year, month) = year_month(day);
    year * 4 + (month as i32 - 1) / 3
}

/// The year and month (1 to 12) of a day since 1970-01-01 (H. Hinnant's `civil_from_days`):
/// every stored row's quarter is worked out from it.
pub fn year_month(days: i32) -> (i32, u32) {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year as i32, month as u32)
}

/// Days since 1970-01-01 of a day of the proleptic Gregorian calendar (H. Hinnant's
/// `days_from_civil`): dates are parsed tens of millions of times in an import.
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year as i32;
    era * 146_097 + day_of_era - 719_468
}

pub fn days(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - EPOCH_DAYS_FROM_CE
}

fn checked_date_of(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(EPOCH_DAYS_FROM_CE)?)
}

/// The date of a day the engine made or checked (see [`is_contract_date`]).
pub fn date_of(days: i32) -> NaiveDate {
    checked_date_of(days).expect("days since epoch within chrono's range")
}

/// Whether a day is one the contract's date forms can write: years 0000 to 9999. A date
/// cell of a spreadsheet or a Parquet file can hold any other; such a cell is not a date.
pub fn is_contract_date(days: i32) -> bool {
    checked_date_of(days).is_some_and(|d| (0..=9999).contains(&d.year()))
}

/// `YYYY-MM-DD`; a day outside chrono's calendar is written as its count from 1970-01-01.
pub fn format_date(days: i32) -> String {
    match checked_date_of(days) {
        Some(d) => d.format("%Y-%m-%d").to_string(),
        None => format!("day {days} from 1970-01-01"),
    }
}

/// A reporting period: S and E inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Quarter { year: i32, quarter: u32 },
    Month { year: i32, month: u32 },
    Year { year: i32 },
    Range { from: NaiveDate, to: NaiveDate },
}

impl Period {
    pub fn range(from: NaiveDate, to: NaiveDate) -> Result<Period, String> {
        if to < from {
            return Err(format!("--to {to} is before --from {from}"));
        }
        Ok(Period::Range { from, to })
    }

    /// S, the first day.
    pub fn start(&self) -> NaiveDate {
        match *self {
            Period::Quarter { year, quarter } => ymd(year, (quarter - 1) * 3 + 1, 1),
            Period::Month { year, month } => ymd(year, month, 1),
            Period::Year { year } => ymd(year, 1, 1),
            Period::Range { from, .. } => from,
        }
    }

    /// E, the last day.
    pub fn end(&self) -> NaiveDate {
        match *self {
            Period::Quarter { year, quarter } => last_of_month(year, quarter * 3),
            Period::Month { year, month } => last_of_month(year, month),
            Period::Year { year } => ymd(year, 12, 31),
            Period::Range { to, .. } => to,
        }
    }

    /// D, the day stock figures are taken on: E.
    pub fn as_of(&self) -> NaiveDate {
        self.end()
    }

    /// The quarter that holds E.
    pub fn last_quarter(&self) -> Period {
        let e = self.end();
        Period::Quarter {
            year: e.year(),
            quarter: (e.month() - 1) / 3 + 1,
        }
    }

    /// The period just before, of the same kind and length.
    pub fn previous(&self) -> Period {
        match *self {
            Period::Quarter { .. } => self.quarters_back(1),
            Period::Month { year, month: 1 } => Period::Month {
                year: year - 1,
                month: 12,
            },
            Period::Month { year, month } => Period::Month {
                year,
                month: month - 1,
            },
            Period::Year { year } => Period::Year { year: year - 1 },
            Period::Range { from, to } => {
                let to_before = from.pred_opt().expect("a day before");
                let from_before = to_before - (to - from);
                Period::Range {
                    from: from_before,
                    to: to_before,
                }
            }
        }
    }

    /// The same period a year before.
    pub fn year_before(&self) -> Period {
        let back = |d: NaiveDate| {
            d.with_year(d.year() - 1)
                .unwrap_or_else(|| ymd(d.year() - 1, 2, 28))
        };
        match *self {
            Period::Quarter { year, quarter } => Period::Quarter {
                year: year - 1,
                quarter,
            },
            Period::Month { year, month } => Period::Month {
                year: year - 1,
                month,
            },
            Period::Year { year } => Period::Year { year: year - 1 },
            Period::Range { from, to } => Period::Range {
                from: back(from),
                to: back(to),
            },
        }
    }

    /// How the period just before is called in a report.
    pub fn previous_label(&self) -> &'static str {
        match self {
            Period::Quarter { .. } => "전분기",
            Period::Month { .. } => "전월",
            Period::Year { .. } => "전년",
            Period::Range { .. } => "직전 기간",
        }
    }

    /// The quarter `n` quarters before this one (quarters only).
    pub fn quarters_back(&self, n: u32) -> Period {
        let Period::Quarter { year, quarter } = self.last_quarter() else {
            unreachable!("last_quarter gives a quarter")
        };
        let index = year * 4 + quarter as i32 - 1 - n as i32;
        Period::Quarter {
            year: index.div_euclid(4),
            quarter: index.rem_euclid(4) as u32 + 1,
        }
    }
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("valid calendar date")
}

fn last_of_month(year: i32, month: u32) -> NaiveDate {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    ymd(y, m, 1)
        .pred_opt()
        .expect("a day before the first of a month")
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Four digits, as `--period` takes them back: 0000Q1, not 0Q1.
            Period::Quarter { year, quarter } => write!(f, "{year:04}Q{quarter}"),
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Period::Year { year } => write!(f, "{year:04}"),
            Period::Range { from, to } => write!(f, "{from}_{to}"),
        }
    }
}

impl FromStr for Period {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!("`{s}` is not a period: write a quarter 2020Q4, a month 2020-11 or a year 2020")
        };
        let year = |t: &str| -> Result<i32, String> {
            if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
                t.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        if let Some((y, q)) = s.split_once(['Q', 'q']) {
            let quarter: u32 = q.parse().map_err(|_| bad())?;
            if !(1..=4).contains(&quarter) || q.len() != 1 {
                return Err(bad());
            }
            return Ok(Period::Quarter {
                year: year(y)?,
                quarter,
            });
        }
        if let Some((y, m)) = s.split_once('-') {
            let month: u32 = m.parse().map_err(|_| bad())?;
            if !(1..=12).contains(&month) || m.len() != 2 {
                return Err(bad());
            }
            return Ok(Period::Month {
                year: year(y)?,
                month,
            });
        }
        Ok(Period::Year { year: year(s)? })
    }
}

/// Parses a date given on the command line, in any of the contract's forms.
pub fn parse_cli_date(s: &str) -> Result<NaiveDate, String> {
    parse_date(s)
        .map(date_of)
        .ok_or_else(|| format!("`{s}` is not a date: write YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_period_is_written_as_period_reads_it() {
        for text in [
            "0000Q1", "0099Q4", "0001-02", "0010", "2020Q3", "9999-12", "2020",
        ] {
            let period: Period = text.parse().unwrap();
            assert_eq!(period.to_string(), text);
        }
    }

    #[test]
    fn dates_parse_as_chrono_reads_them() {
        for year in [0, 1, 4, 100, 400, 1582, 1900, 1970, 2000, 2020, 2100, 9999] {
            for month in 0..=13 {
                for day in 0..=32 {
                    let text = format!("{year:04}-{month:02}-{day:02}");
                    let chrono = NaiveDate::from_ymd_opt(year, month, day).map(days);
                    assert_eq!(parse_date(&text), chrono, "{text}");
                    assert_eq!(parse_date(&text.replace('-', "")), chrono, "{text}");
                    assert_eq!(parse_date(&text.replace('-', ".")), chrono, "{text}");
                }
            }
        }
        for text in [
            "2020-1-011",
            "2020/01/01",
            "+020-01-01",
            "20200101 ",
            "２０２０0101",
            "",
        ] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }

    #[test]
    fn periods_have_their_first_and_last_days() {
        let q: Period = "2020Q4".parse().unwrap();
        assert_eq!(q.start(), ymd(2020, 10, 1));
        assert_eq!(q.end(), ymd(2020, 12, 31));
        let m: Period = "2020-02".parse().unwrap();
        assert_eq!(m.end(), ymd(2020, 2, 29));
        let y: Period = "2019".parse().unwrap();
        assert_eq!((y.start(), y.end()), (ymd(2019, 1, 1), ymd(2019, 12, 31)));
        assert_eq!(q.quarters_back(7).to_string(), "2019Q1");
        assert_eq!(m.last_quarter().to_string(), "2020Q1");
        assert_eq!(q.previous().to_string(), "2020Q3");
        assert_eq!(q.year_before().to_string(), "2019Q4");
        assert_eq!(
            "2020-01".parse::<Period>().unwrap().previous().to_string(),
            "2019-12"
        );
        let r = Period::range(ymd(2020, 3, 1), ymd(2020, 3, 10)).unwrap();
        assert_eq!(r.previous().to_string(), "2020-02-20_2020-02-29");
        for bad in ["2020Q5", "2020-13", "20", "2020Q", "abcd", "2020-1"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn contract_dates_in_three_forms() {
        let d = parse_date("2020-09-30").unwrap();
        assert_eq!(parse_date("20200930"), Some(d));
        assert_eq!(parse_date("2020.09.30"), Some(d));
        assert_eq!(format_date(d), "2020-09-30");
        for bad in [
            "2020-02-30",
            "2020/09/30",
            "2020-9-30",
            "20201301",
            "2020-09-3x",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
