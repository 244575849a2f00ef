//! The data contract as data: the tables of an export, their columns, types, categories and keys.
//!
//! Everything the loader and the checker know about the export format comes from here,
//! so that a rule of `data-contract.md` is written once.

/// What a column holds and how a cell is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text (ids, names). Stored as Utf8.
    Text,
    /// A region code of one of the given digit counts. Stored as Utf8, never as a number.
    Code(&'static [usize]),
    /// A calendar date: `YYYY-MM-DD`, `YYYYMMDD` or `YYYY.MM.DD`. Stored as Date32.
    Date,
    /// A whole number. Stored as Int64.
    Integer,
    /// A whole number >= 0. Stored as Int64.
    Count,
    /// A number >= 0. Stored as Float64.
    Amount,
    /// One of a closed list of values. Stored as Utf8.
    Category(&'static [&'static str]),
}

#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

/// A rule that looks at several columns of one row.
#[derive(Debug)]
pub enum RowRule {
    /// The value of `column` starts with the value of `prefix` (an 읍면동 code with its 시군구 code).
    Prefix {
        column: &'static str,
        prefix: &'static str,
    },
    /// `column`, when given, is not before `start`.
    NotBefore {
        column: &'static str,
        start: &'static str,
    },
    /// `column` is empty when `when` holds `value` (a 민간 hire has no civil-service grade).
    EmptyWhen {
        column: &'static str,
        when: &'static str,
        value: &'static str,
    },
    /// `reason` is required when `closed` is given and null while it is not.
    RequiredWhenClosed {
        reason: &'static str,
        closed: &'static str,
    },
}

/// Tables that other tables refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// `regions.emd_code`.
    Emd,
    /// `teams.team_id`.
    Team,
    /// `cases.case_id`.
    Case,
    /// `00`, a `regions.sido_code` or a `regions.sgg_code`.
    TargetRegion,
}

impl Reference {
    /// The table and columns the key is looked up in (a target's region is a 시도 or a 시군구).
    pub fn columns(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Reference::Emd => ("regions", &["emd_code"]),
            Reference::TargetRegion => ("regions", &["sido_code", "sgg_code"]),
            Reference::Team => ("teams", &["team_id"]),
            Reference::Case => ("cases", &["case_id"]),
        }
    }

    /// The table the key is in.
    pub fn table(self) -> &'static str {
        match self {
            Reference::Emd | Reference::TargetRegion => "regions",
            Reference::Team => "teams",
            Reference::Case => "cases",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Reference::Emd => "regions.emd_code",
            Reference::Team => "teams.team_id",
            Reference::Case => "cases.case_id",
            Reference::TargetRegion => "00, a regions.sido_code or a regions.sgg_code",
        }
    }
}

#[derive(Debug)]
pub struct ForeignKey {
    pub column: &'static str,
    pub references: Reference,
}

/// A dated event: checked for dates after today and for an 읍면동 not valid on the date.
#[derive(Debug)]
pub struct Event {
    pub date: &'static str,
    pub emd: Option<&'static str>,
}

/// The days a row of a parent table is valid or active: from (inclusive) and to
/// (exclusive) columns, either empty for open.
#[derive(Debug)]
pub struct Life {
    pub from: &'static str,
    pub to: &'static str,
}

/// A row that assigns something to a parent row for a while, which should lie within the
/// parent's [`Life`] (a staff member in a team): its reference column and its dates.
#[derive(Debug)]
pub struct Within {
    /// What the parent is called in a warning (`outside team life`).
    pub parent: &'static str,
    pub reference: &'static str,
    pub from: &'static str,
    pub to: &'static str,
}

#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub required: bool,
    pub columns: &'static [Column],
    /// Columns whose values together are unique.
    pub key: &'static [&'static str],
    pub foreign_keys: &'static [ForeignKey],
    pub row_rules: &'static [RowRule],
    pub event: Option<Event>,
    pub life: Option<Life>,
    pub within: Option<Within>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_index(&self, name: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .unwrap_or_else(|| panic!("contract table {} has no column {name}", self.name))
    }
}

const fn col(name: &'static str, kind: Kind, required: bool) -> Column {
    Column {
        name,
        kind,
        required,
    }
}

const fn fk(column: &'static str, references: Reference) -> ForeignKey {
    ForeignKey { column, references }
}

pub const SECTORS: &[&str] = &["공공", "민간"];
pub const EMD_TYPES: &[&str] = &["읍", "면", "동"];
pub const TEAM_TYPES: &[&str] = &["기본형", "권역형"];
pub const ROLES: &[&str] = &["팀장", "사회복지", "행정", "간호", "직업상담", "기타"];
pub const CHANNELS: &[&str] = &["방문", "전화", "내방", "기타"];
pub const TARGET_GROUPS: &[&str] = &["노인", "장애인", "아동", "출산가정", "위기가구", "기타"];
pub const DOMAINS: &[&str] = &["보건", "복지", "고용", "주거", "교육", "법률", "기타"];
pub const CLOSURE_REASONS: &[&str] = &["목표달성", "이관", "거부", "기타"];
pub const MEETING_KINDS: &[&str] = &["사례회의", "솔루션회의", "사후관리"];
pub const SOURCES: &[&str] = &["빅데이터", "인적안전망", "방문상담", "신청", "기타"];
pub const OUTCOMES: &[&str] = &["공공지원", "민간지원", "비해당", "진행중"];
pub const METRICS: &[&str] = &["teams", "staff", "visits", "service_links"];

use Kind::*;

pub static REGIONS: Table = Table {
    name: "regions",
    required: true,
    columns: &[
        col("emd_code", Code(&[10]), true),
        col("emd_name", Text, true),
        col("emd_type", Category(EMD_TYPES), true),
        col("sgg_code", Code(&[5]), true),
        col("sgg_name", Text, true),
        col("sido_code", Code(&[2]), true),
        col("sido_name", Text, true),
        col("valid_from", Date, false),
        col("valid_to", Date, false),
        col("population", Count, false),
    ],
    key: &["emd_code"],
    foreign_keys: &[],
    row_rules: &[
        RowRule::Prefix {
            column: "emd_code",
            prefix: "sgg_code",
        },
        RowRule::Prefix {
            column: "sgg_code",
            prefix: "sido_code",
        },
    ],
    event: None,
    life: Some(Life {
        from: "valid_from",
        to: "valid_to",
    }),
    within: None,
};

pub static TEAMS: Table = Table {
    name: "teams",
    required: true,
    columns: &[
        col("team_id", Text, true),
        col("emd_code", Text, true),
        col("team_type", Category(TEAM_TYPES), true),
        col("established_on", Date, true),
        col("closed_on", Date, false),
    ],
    key: &["team_id"],
    foreign_keys: &[fk("emd_code", Reference::Emd)],
    row_rules: &[RowRule::NotBefore {
        column: "closed_on",
        start: "established_on",
    }],
    event: None,
    life: Some(Life {
        from: "established_on",
        to: "closed_on",
    }),
    within: None,
};

pub static TEAM_AREAS: Table = Table {
    name: "team_areas",
    required: false,
    columns: &[col("team_id", Text, true), col("emd_code", Text, true)],
    key: &["team_id", "emd_code"],
    foreign_keys: &[
        fk("team_id", Reference::Team),
        fk("emd_code", Reference::Emd),
    ],
    row_rules: &[],
    event: None,
    life: None,
    within: None,
};

pub static STAFF: Table = Table {
    name: "staff",
    required: true,
    columns: &[
        col("staff_id", Text, true),
        col("team_id", Text, true),
        col("sector", Category(SECTORS), true),
        col("role", Category(ROLES), true),
        col("grade", Text, false),
        col("assigned_on", Date, true),
        col("left_on", Date, false),
    ],
    key: &["staff_id", "assigned_on"],
    foreign_keys: &[fk("team_id", Reference::Team)],
    row_rules: &[
        RowRule::NotBefore {
            column: "left_on",
            start: "assigned_on",
        },
        RowRule::EmptyWhen {
            column: "grade",
            when: "sector",
            value: "민간",
        },
    ],
    event: None,
    life: None,
    within: Some(Within {
        parent: "team",
        reference: "team_id",
        from: "assigned_on",
        to: "left_on",
    }),
};

pub static VISITS: Table = Table {
    name: "visits",
    required: true,
    columns: &[
        col("visit_id", Text, true),
        col("emd_code", Text, true),
        col("team_id", Text, false),
        col("household_id", Text, true),
        col("visited_on", Date, true),
        col("channel", Category(CHANNELS), true),
        col("target_group", Category(TARGET_GROUPS), true),
    ],
    key: &["visit_id"],
    foreign_keys: &[
        fk("emd_code", Reference::Emd),
        fk("team_id", Reference::Team),
    ],
    row_rules: &[],
    event: Some(Event {
        date: "visited_on",
        emd: Some("emd_code"),
    }),
    life: None,
    within: None,
};

pub static SERVICE_LINKS: Table = Table {
    name: "service_links",
    required: true,
    columns: &[
        col("link_id", Text, true),
        col("emd_code", Text, true),
        col("household_id", Text, true),
        col("linked_on", Date, true),
        col("sector", Category(SECTORS), true),
        col("domain", Category(DOMAINS), true),
    ],
    key: &["link_id"],
    foreign_keys: &[fk("emd_code", Reference::Emd)],
    row_rules: &[],
    event: Some(Event {
        date: "linked_on",
        emd: Some("emd_code"),
    }),
    life: None,
    within: None,
};

pub static CASES: Table = Table {
    name: "cases",
    required: false,
    columns: &[
        col("case_id", Text, true),
        col("emd_code", Text, true),
        col("household_id", Text, true),
        col("opened_on", Date, true),
        col("closed_on", Date, false),
        col("closure_reason", Category(CLOSURE_REASONS), false),
        col("referred_on", Date, false),
    ],
    key: &["case_id"],
    foreign_keys: &[fk("emd_code", Reference::Emd)],
    row_rules: &[
        RowRule::NotBefore {
            column: "closed_on",
            start: "opened_on",
        },
        RowRule::RequiredWhenClosed {
            reason: "closure_reason",
            closed: "closed_on",
        },
    ],
    event: Some(Event {
        date: "opened_on",
        emd: Some("emd_code"),
    }),
    life: None,
    within: None,
};

pub static CASE_MEETINGS: Table = Table {
    name: "case_meetings",
    required: false,
    columns: &[
        col("meeting_id", Text, true),
        col("case_id", Text, true),
        col("held_on", Date, true),
        col("kind", Category(MEETING_KINDS), true),
    ],
    key: &["meeting_id"],
    foreign_keys: &[fk("case_id", Reference::Case)],
    row_rules: &[],
    event: Some(Event {
        date: "held_on",
        emd: None,
    }),
    life: None,
    within: None,
};

pub static DISCOVERIES: Table = Table {
    name: "discoveries",
    required: false,
    columns: &[
        col("discovery_id", Text, true),
        col("emd_code", Text, true),
        col("household_id", Text, true),
        col("found_on", Date, true),
        col("source", Category(SOURCES), true),
        col("outcome", Category(OUTCOMES), true),
    ],
    key: &["discovery_id"],
    foreign_keys: &[fk("emd_code", Reference::Emd)],
    row_rules: &[],
    event: Some(Event {
        date: "found_on",
        emd: Some("emd_code"),
    }),
    life: None,
    within: None,
};

pub static TARGETS: Table = Table {
    name: "targets",
    required: false,
    columns: &[
        col("year", Integer, true),
        col("region_code", Code(&[2, 5]), true),
        col("metric", Category(METRICS), true),
        col("target", Amount, true),
    ],
    key: &["year", "region_code", "metric"],
    foreign_keys: &[fk("region_code", Reference::TargetRegion)],
    row_rules: &[],
    event: None,
    life: None,
    within: None,
};

/// Codes re-issued under a new code (v1.1): they add to, and for the same old_code replace,
/// the successors derived from the regions' history. Cycles are found across the rows
/// (`crate::geography`).
pub static SUCCESSORS: Table = Table {
    name: "successors",
    required: false,
    columns: &[
        col("old_code", Code(&[10]), true),
        col("new_code", Code(&[10]), true),
        col("changed_on", Date, true),
    ],
    key: &["old_code"],
    foreign_keys: &[
        fk("old_code", Reference::Emd),
        fk("new_code", Reference::Emd),
    ],
    row_rules: &[],
    event: None,
    life: None,
    within: None,
};

/// Every table, in the order they are loaded: a table comes after the tables it refers to.
pub static TABLES: [&Table; 11] = [
    &REGIONS,
    &SUCCESSORS,
    &TEAMS,
    &TEAM_AREAS,
    &STAFF,
    &VISITS,
    &SERVICE_LINKS,
    &CASES,
    &CASE_MEETINGS,
    &DISCOVERIES,
    &TARGETS,
];

/// The contract's table of this name.
pub fn table_named(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name).copied()
}
