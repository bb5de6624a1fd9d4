//! Reading the roster an org admin invites people from: a simple `email,name,roles` CSV or a
//! OneRoster 1.1 `users.csv` (STANDARDS-2 §8), into rows to invite, per-row errors naming line
//! and column, and OneRoster rows left out with the reason. Pure: no store, no mail.
//!
//! OneRoster decisions:
//! - Only `teacher` and `aide` rows are invited, as educators. Every other role (`administrator`
//!   included) is skipped with its reason: making someone an org admin is a trust decision an
//!   admin takes by hand, not something a district export grants.
//! - Rows with `enabledUser` `false` or `status` `tobedeleted` are skipped.
//! - The name is `givenName familyName`; the address is the `email` column only. A row without
//!   one is skipped (a `username` is not an address).
//! - Skipped rows do not count towards [`MAX_ROSTER_INVITES`]: a district export lists its
//!   students too. The bytes a caller accepts bound the work.
//!
//! Both formats: rows whose fields are all empty are ignored; the same address twice is an
//! error on the later line.

use std::collections::HashMap;
use std::fmt;

use pathledger_store::AccessRole;

use crate::AppError;

/// Most people one roster may invite (rows to invite plus rows in error).
pub const MAX_ROSTER_INVITES: usize = 1000;

/// Longest name accepted, in characters.
const MAX_NAME_CHARS: usize = 200;

/// One person to invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// The line of the file the row starts on (1 is the header).
    pub line: usize,
    /// The address, trimmed and lowercased.
    pub email: String,
    /// The name (may be empty in the simple format).
    pub name: String,
    /// The roles to grant, without repeats.
    pub roles: Vec<AccessRole>,
}

/// What is wrong with a roster (the whole file) or with one of its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterError {
    /// The line of the file (1 is the header).
    pub line: usize,
    /// The 1-based column, when one field is at fault.
    pub column: Option<usize>,
    /// The column's name as the header spells it, or what is at fault (`header`, `rows`,
    /// `encoding`, `file`).
    pub field: String,
    /// What is wrong, for the person who made the file.
    pub message: String,
}

impl RosterError {
    fn new(
        line: usize,
        column: Option<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        RosterError {
            line,
            column,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for RosterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(c) = self.column {
            write!(f, ", column {c}")?;
        }
        if !self.field.is_empty() {
            write!(f, " ({})", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for RosterError {}

impl From<RosterError> for AppError {
    fn from(e: RosterError) -> Self {
        AppError::invalid("roster", e.to_string())
    }
}

/// Which kind of file a roster was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterFormat {
    /// `email,name,roles`.
    Simple,
    /// OneRoster 1.1 `users.csv`.
    OneRoster,
}

/// A parsed roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    /// Which kind of file it was.
    pub format: RosterFormat,
    /// People to invite, in file order.
    pub rows: Vec<RosterRow>,
    /// Rows that cannot be invited as they are, each naming line and column.
    pub errors: Vec<RosterError>,
    /// OneRoster rows left out on purpose: (line, why).
    pub skipped: Vec<(usize, String)>,
}

/// Parses a roster. A file that cannot be read as a roster at all (empty, not UTF-8, no header
/// with an `email` column, more than [`MAX_ROSTER_INVITES`] people) is an `Err`; a row that
/// cannot be invited is in [`Roster::errors`] and the other rows still are. Simple rows with no
/// roles get `default_roles`.
pub fn parse_roster(bytes: &[u8], default_roles: &[AccessRole]) -> Result<Roster, RosterError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        RosterError::new(line, None, "encoding", "the file is not UTF-8 text")
    })?;
    if text.trim().is_empty() {
        return Err(RosterError::new(1, None, "file", "the roster is empty"));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = rdr
        .headers()
        .map_err(|e| RosterError::new(1, None, "header", format!("unreadable header: {e}")))?
        .clone();
    let format = if is_oneroster(&header) {
        RosterFormat::OneRoster
    } else {
        RosterFormat::Simple
    };
    let cols = Columns::find(&header, format)?;
    let mut roster = Roster {
        format,
        rows: Vec::new(),
        errors: Vec::new(),
        skipped: Vec::new(),
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    // The reader counts records, not the line breaks inside quoted fields: count them here.
    let mut lines = LineCounter::default();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| lines.line_at(text, p.byte()));
            RosterError::new(line, None, "file", format!("unreadable CSV: {e}"))
        })?;
        let line = rec.position().map_or(0, |p| lines.line_at(text, p.byte()));
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let row = match format {
            RosterFormat::Simple => simple_row(&cols, &rec, line, default_roles),
            RosterFormat::OneRoster => match oneroster_row(&cols, &rec, line) {
                Ok(r) => r,
                Err(Skip(why)) => {
                    roster.skipped.push((line, why));
                    continue;
                }
            },
        };
        if roster.rows.len() + roster.errors.len() >= MAX_ROSTER_INVITES {
            return Err(RosterError::new(
                line,
                None,
                "rows",
                format!("too many people: at most {MAX_ROSTER_INVITES} per roster; split the file"),
            ));
        }
        match row {
            Ok(r) => match seen.get(&r.email) {
                Some(first) => roster.errors.push(RosterError::new(
                    line,
                    Some(cols.email + 1),
                    cols.email_name.clone(),
                    format!("{} is already on line {first}", r.email),
                )),
                None => {
                    seen.insert(r.email.clone(), line);
                    roster.rows.push(r);
                }
            },
            Err(e) => roster.errors.push(e),
        }
    }
    if roster.rows.is_empty() && roster.errors.is_empty() && roster.skipped.is_empty() {
        return Err(RosterError::new(
            2,
            None,
            "rows",
            "the roster has no rows under its header",
        ));
    }
    Ok(roster)
}

/// The line of a byte offset, counted forward from the last offset asked about.
#[derive(Default)]
struct LineCounter {
    byte: usize,
    line: usize,
}

impl LineCounter {
    fn line_at(&mut self, text: &str, byte: u64) -> usize {
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
        // A record's position may sit on the line break (`\n` of `\r\n`, blank lines) before it.
        while text
            .as_bytes()
            .get(byte)
            .is_some_and(|b| *b == b'\n' || *b == b'\r')
        {
            byte += 1;
        }
        if byte < self.byte {
            *self = LineCounter::default();
        }
        self.line += text.as_bytes()[self.byte..byte]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.byte = byte;
        self.line + 1
    }
}

/// A OneRoster `users.csv` names these columns, exactly as spelled (case-sensitive).
fn is_oneroster(header: &csv::StringRecord) -> bool {
    let has = |n: &str| header.iter().any(|h| h == n);
    [
        "sourcedId",
        "enabledUser",
        "role",
        "givenName",
        "familyName",
    ]
    .iter()
    .all(|n| has(n))
}

/// Where each column is (0-based).
struct Columns {
    email: usize,
    email_name: String,
    name: Option<(usize, String)>,
    roles: Option<(usize, String)>,
    role: usize,
    given: usize,
    family: usize,
    enabled: usize,
    status: Option<usize>,
}

impl Columns {
    fn find(header: &csv::StringRecord, format: RosterFormat) -> Result<Columns, RosterError> {
        let named = |n: &str| -> Option<(usize, String)> {
            header
                .iter()
                .position(|h| match format {
                    RosterFormat::OneRoster => h == n,
                    RosterFormat::Simple => h.eq_ignore_ascii_case(n),
                })
                .map(|i| (i, header.get(i).unwrap_or(n).to_owned()))
        };
        let Some((email, email_name)) = named("email") else {
            let looks_like_data = header.iter().any(|h| h.contains('@'));
            return Err(RosterError::new(
                1,
                None,
                "header",
                if looks_like_data {
                    "the first line must be a header naming the columns (email, and optionally name and roles); it looks like data"
                } else {
                    "the header must name an email column (with optionally name and roles)"
                },
            ));
        };
        let at = |n: &str| named(n).map_or(usize::MAX, |(i, _)| i);
        Ok(Columns {
            email,
            email_name,
            name: named("name"),
            roles: named("roles").or_else(|| named("role")),
            role: at("role"),
            given: at("givenName"),
            family: at("familyName"),
            enabled: at("enabledUser"),
            status: named("status").map(|(i, _)| i),
        })
    }
}

fn field(rec: &csv::StringRecord, col: usize) -> &str {
    rec.get(col).unwrap_or("")
}

fn simple_row(
    cols: &Columns,
    rec: &csv::StringRecord,
    line: usize,
    default_roles: &[AccessRole],
) -> Result<RosterRow, RosterError> {
    let email = checked_email(cols, rec, line)?;
    let name = match &cols.name {
        Some((i, n)) => checked_name(field(rec, *i), line, *i, n)?,
        None => String::new(),
    };
    let roles = match &cols.roles {
        Some((i, n)) => parse_roles(field(rec, *i))
            .map_err(|m| RosterError::new(line, Some(i + 1), n.clone(), m))?,
        None => Vec::new(),
    };
    let roles = if roles.is_empty() {
        default_roles.to_vec()
    } else {
        roles
    };
    if roles.is_empty() {
        let (col, name) = cols
            .roles
            .as_ref()
            .map_or((None, "roles".to_owned()), |(i, n)| {
                (Some(i + 1), n.clone())
            });
        return Err(RosterError::new(
            line,
            col,
            name,
            "name at least one role (org_admin, issuer, assessor, verifier, educator)",
        ));
    }
    Ok(RosterRow {
        line,
        email,
        name,
        roles,
    })
}

/// Why a OneRoster row is left out.
struct Skip(String);

/// `Ok(Ok(row))`: invite; `Ok(Err(e))`: an error to report; `Err(skip)`: left out on purpose.
fn oneroster_row(
    cols: &Columns,
    rec: &csv::StringRecord,
    line: usize,
) -> Result<Result<RosterRow, RosterError>, Skip> {
    if field(rec, cols.enabled).eq_ignore_ascii_case("false") {
        return Err(Skip("disabled account (enabledUser is false)".into()));
    }
    if cols
        .status
        .is_some_and(|i| field(rec, i).eq_ignore_ascii_case("tobedeleted"))
    {
        return Err(Skip("to be deleted (status is tobedeleted)".into()));
    }
    let role = field(rec, cols.role);
    if !role.eq_ignore_ascii_case("teacher") && !role.eq_ignore_ascii_case("aide") {
        let role = if role.is_empty() { "(none)" } else { role };
        return Err(Skip(format!(
            "role {role} is not invited; only teachers and aides become educators (grant other roles by hand)"
        )));
    }
    if field(rec, cols.email).is_empty() {
        return Err(Skip(
            "no email address (the username is not an address)".into(),
        ));
    }
    let row = checked_email(cols, rec, line).and_then(|email| {
        let name = format!("{} {}", field(rec, cols.given), field(rec, cols.family));
        let name = checked_name(name.trim(), line, cols.given, "givenName")?;
        Ok(RosterRow {
            line,
            email,
            name,
            roles: vec![AccessRole::Educator],
        })
    });
    Ok(row)
}

fn checked_email(
    cols: &Columns,
    rec: &csv::StringRecord,
    line: usize,
) -> Result<String, RosterError> {
    let raw = field(rec, cols.email);
    let err = |m: &str| RosterError::new(line, Some(cols.email + 1), cols.email_name.clone(), m);
    if raw.is_empty() {
        return Err(err("no email address"));
    }
    crate::accounts::email_address(raw).ok_or_else(|| err("not an email address"))
}

fn checked_name(
    name: &str,
    line: usize,
    col: usize,
    col_name: &str,
) -> Result<String, RosterError> {
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(RosterError::new(
            line,
            Some(col + 1),
            col_name,
            format!("a name has at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(RosterError::new(
            line,
            Some(col + 1),
            col_name,
            "a name cannot hold line breaks or control characters",
        ));
    }
    Ok(name.to_owned())
}

/// Roles separated by spaces, `;` or `,`: the stored names and the words people use.
fn parse_roles(s: &str) -> Result<Vec<AccessRole>, String> {
    let mut out = Vec::new();
    for word in s
        .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
        .filter(|w| !w.is_empty())
    {
        let r = match word.to_ascii_lowercase().replace('-', "_").as_str() {
            "org_admin" | "admin" => AccessRole::OrgAdmin,
            "issuer" => AccessRole::Issuer,
            "assessor" | "mentor" => AccessRole::Assessor,
            "verifier" | "district_verifier" | "hr" => AccessRole::Verifier,
            "educator" | "teacher" => AccessRole::Educator,
            _ => {
                return Err(format!(
                    "unknown role {word:?}: use org_admin (admin), issuer, assessor (mentor), verifier (district_verifier, hr) or educator (teacher)"
                ))
            }
        };
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccessRole::*;

    const ONEROSTER_HEADER: &str = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password";
    /// The example row of STANDARDS-2 §8.
    const ONEROSTER_ROW: &str = "t-1001,,,true,school-1,teacher,jdoe,{LDAP:jdoe},Jane,Doe,,E1001,jane.doe@school.example,,,,,";

    fn parse(s: &str) -> Result<Roster, RosterError> {
        parse_roster(s.as_bytes(), &[Educator])
    }

    #[test]
    fn simple_roster_with_roles_aliases_and_defaults() {
        let r = parse(
            "Roles,EMAIL,Name\n\
             admin;issuer,Ada@District.Example,Ada Admin\n\
             mentor hr,bo@district.example,Bo\n\
             ,cy@district.example,\n\
             teacher;educator,di@district.example,Di\n",
        )
        .unwrap();
        assert_eq!(r.format, RosterFormat::Simple);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let got: Vec<_> = r
            .rows
            .iter()
            .map(|r| (r.line, r.email.as_str(), r.name.as_str(), r.roles.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    2,
                    "ada@district.example",
                    "Ada Admin",
                    vec![OrgAdmin, Issuer]
                ),
                (3, "bo@district.example", "Bo", vec![Assessor, Verifier]),
                (4, "cy@district.example", "", vec![Educator]),
                (5, "di@district.example", "Di", vec![Educator]),
            ]
        );
    }

    #[test]
    fn email_only_header_uses_default_roles() {
        let r = parse_roster(b"email\nx@y.example\n", &[Verifier, Assessor]).unwrap();
        assert_eq!(r.rows[0].roles, vec![Verifier, Assessor]);
        let r = parse_roster(b"email,roles\nx@y.example,\n", &[]).unwrap();
        assert_eq!(
            r.errors[0].to_string(),
            "line 2, column 2 (roles): name at least one role (org_admin, issuer, assessor, verifier, educator)"
        );
    }

    #[test]
    fn bom_and_quoted_fields_with_commas_and_line_breaks() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(
            b"email,name,roles\r\n\"a@b.example\",\"Doe, Jane\",\"issuer, assessor\"\r\n\"c@d.example\",\"two\nlines\",\r\ne@f.example,\"Quote \"\"Q\"\"\",\r\n",
        );
        let r = parse_roster(&bytes, &[Educator]).unwrap();
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0].name, "Doe, Jane");
        assert_eq!(r.rows[0].roles, vec![Issuer, Assessor]);
        assert_eq!(r.rows[1].name, "Quote \"Q\"");
        // The row after a field with a line break starts on line 5.
        assert_eq!(r.rows[1].line, 5);
        assert_eq!(
            r.errors[0].to_string(),
            "line 3, column 2 (name): a name cannot hold line breaks or control characters"
        );
    }

    #[test]
    fn row_errors_name_line_and_column() {
        let r = parse(
            "name,email,roles\n\
             Ok,ok@x.example,\n\
             Bad,not-an-address,\n\
             Role,r@x.example,wizard\n\
             ,,\n\
             Again,OK@x.example,\n\
             Missing,,educator\n",
        )
        .unwrap();
        assert_eq!(r.rows.len(), 1);
        let msgs: Vec<String> = r.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            msgs,
            vec![
                "line 3, column 2 (email): not an email address".to_owned(),
                "line 4, column 3 (roles): unknown role \"wizard\": use org_admin (admin), issuer, assessor (mentor), verifier (district_verifier, hr) or educator (teacher)".to_owned(),
                "line 6, column 2 (email): ok@x.example is already on line 2".to_owned(),
                "line 7, column 2 (email): no email address".to_owned(),
            ]
        );
        assert_eq!(r.errors[0].column, Some(2));
        assert_eq!(r.errors[0].field, "email");
    }

    #[test]
    fn whole_file_errors() {
        let e = parse("").unwrap_err();
        assert_eq!(e.to_string(), "line 1 (file): the roster is empty");
        let e = parse_roster(b"\xEF\xBB\xBF \n", &[]).unwrap_err();
        assert_eq!(e.field, "file");
        let e = parse("name,roles\nA,issuer\n").unwrap_err();
        assert_eq!((e.line, e.column, e.field.as_str()), (1, None, "header"));
        let e = parse("a@b.example,Ann\nc@d.example,Cy\n").unwrap_err();
        assert!(e.message.contains("looks like data"), "{e}");
        let e = parse("email,name\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2 (rows): the roster has no rows under its header"
        );
        let e = parse_roster(b"email\nok@x.example\nb\xFFd@x.example\n", &[Educator]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3 (encoding): the file is not UTF-8 text"
        );
    }

    #[test]
    fn row_limit() {
        let mut s = String::from("email\n");
        for i in 0..MAX_ROSTER_INVITES {
            s.push_str(&format!("p{i}@x.example\n"));
        }
        assert_eq!(parse(&s).unwrap().rows.len(), MAX_ROSTER_INVITES);
        // Blank rows do not count; the row after the last allowed one refuses the file.
        s.push_str(",\n");
        assert_eq!(parse(&s).unwrap().rows.len(), MAX_ROSTER_INVITES);
        s.push_str("one-too-many@x.example\n");
        let e = parse(&s).unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (MAX_ROSTER_INVITES + 3, "rows"));
    }

    #[test]
    fn oneroster_example_row() {
        let r = parse_roster(
            format!("{ONEROSTER_HEADER}\n{ONEROSTER_ROW}\n").as_bytes(),
            &[OrgAdmin],
        )
        .unwrap();
        assert_eq!(r.format, RosterFormat::OneRoster);
        assert_eq!(
            r.rows,
            vec![RosterRow {
                line: 2,
                email: "jane.doe@school.example".into(),
                name: "Jane Doe".into(),
                roles: vec![Educator],
            }]
        );
        assert!(r.errors.is_empty() && r.skipped.is_empty());
    }

    #[test]
    fn oneroster_skips_with_reasons() {
        let text = format!(
            "{ONEROSTER_HEADER}\n\
             {ONEROSTER_ROW}\n\
             a-1,,,true,school-1,aide,asmith,,Al,Smith,,,al@school.example,,,,,\n\
             p-1,,,true,school-1,administrator,boss,,Pat,Boss,,,pat@school.example,,,,,\n\
             s-1,,,true,school-1,student,kid,,Kim,Kid,,,kim@school.example,,,,,\n\
             t-2,,,false,school-1,teacher,off,,Off,Line,,,off@school.example,,,,,\n\
             t-3,tobedeleted,2024-01-01,true,school-1,teacher,gone,,Gone,Soon,,,gone@school.example,,,,,\n\
             t-4,,,true,school-1,teacher,nomail,{{LDAP:nomail}},No,Mail,,,,,,,,\n\
             t-5,,,true,\"school-1,school-2\",teacher,bad,,Bad,Mail,,,bad-mail,,,,,\n"
        );
        let r = parse_roster(text.as_bytes(), &[Educator]).unwrap();
        let rows: Vec<_> = r.rows.iter().map(|r| (r.line, r.name.as_str())).collect();
        assert_eq!(rows, vec![(2, "Jane Doe"), (3, "Al Smith")]);
        let skipped: Vec<usize> = r.skipped.iter().map(|(l, _)| *l).collect();
        assert_eq!(skipped, vec![4, 5, 6, 7, 8]);
        assert!(r.skipped[0].1.contains("administrator"), "{:?}", r.skipped);
        assert!(r.skipped[2].1.contains("enabledUser"));
        assert!(r.skipped[3].1.contains("tobedeleted"));
        assert!(r.skipped[4].1.contains("username is not an address"));
        assert_eq!(
            r.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            vec!["line 9, column 13 (email): not an email address"]
        );
    }

    #[test]
    fn oneroster_header_is_case_sensitive() {
        // Lowercased OneRoster names are not OneRoster: read as a simple roster.
        let r = parse("sourcedid,enableduser,role,givenname,familyname,email\nx,true,teacher,A,B,a@b.example\n")
            .unwrap();
        assert_eq!(r.format, RosterFormat::Simple);
        assert_eq!(r.rows[0].roles, vec![Educator]);
    }
}
