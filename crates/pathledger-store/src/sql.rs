//! A thin layer that runs one SQL text on either backend, so the store's logic is written once.
//!
//! Both schemas use the same tables and column names, and both drivers accept `$1`-style
//! placeholders, so a query only differs in how its binds and rows are typed. [`Val`] carries a
//! bind value, [`Row`] wraps a backend row, and [`Db`] / [`Tx`] dispatch to the right driver.

use sqlx::postgres::{PgPool, PgRow};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Postgres, Row as _, Sqlite, Transaction};

use crate::error::StoreError;

/// One bind value. Nulls are typed so PostgreSQL can infer the parameter type.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    I64(i64),
    Text(String),
    Bytes(Vec<u8>),
    Bool(bool),
    OptI64(Option<i64>),
    OptText(Option<String>),
    /// A PostgreSQL `text[]` (see [`keyed_sql`]); SQLite gets it as a JSON array.
    TextArray(Vec<String>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::I64(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_owned())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Self {
        Val::Text(v.clone())
    }
}
impl From<Vec<u8>> for Val {
    fn from(v: Vec<u8>) -> Self {
        Val::Bytes(v)
    }
}
impl From<&[u8]> for Val {
    fn from(v: &[u8]) -> Self {
        Val::Bytes(v.to_vec())
    }
}
impl From<&[u8; 32]> for Val {
    fn from(v: &[u8; 32]) -> Self {
        Val::Bytes(v.to_vec())
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::Bool(v)
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::OptI64(v)
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::OptText(v)
    }
}
impl From<Option<&str>> for Val {
    fn from(v: Option<&str>) -> Self {
        Val::OptText(v.map(str::to_owned))
    }
}
/// Typed ids bind as their text.
macro_rules! id_val {
    ($($t:ty),*) => {$(
        impl From<&$t> for Val {
            fn from(v: &$t) -> Self {
                Val::from(v.as_str())
            }
        }
        impl From<&Option<$t>> for Val {
            fn from(v: &Option<$t>) -> Self {
                Val::from(v.as_deref())
            }
        }
        impl From<Option<&$t>> for Val {
            fn from(v: Option<&$t>) -> Self {
                Val::from(v.map(|x| x.as_str()))
            }
        }
    )*};
}
id_val!(
    crate::model::OrgId,
    crate::model::EducatorId,
    crate::model::UserId
);

impl From<&Option<String>> for Val {
    fn from(v: &Option<String>) -> Self {
        Val::OptText(v.clone())
    }
}

/// Builds a `Vec<Val>` from expressions convertible into [`Val`].
macro_rules! args {
    () => { Vec::<$crate::sql::Val>::new() };
    ($($v:expr),+ $(,)?) => { vec![$($crate::sql::Val::from($v)),+] };
}
pub(crate) use args;

/// A query with every argument bound; `$array` turns a `TextArray` into what
/// the driver takes (PostgreSQL: the vector itself, an array; SQLite: [`json_array`]). The
/// argument list is sized once: a multi-row insert binds thousands of values. A value the
/// driver cannot encode is an `sqlx::Error::Encode`, as binding one by one would report it.
macro_rules! bind_all {
    ($db:ty, $sql:expr, $args:expr, $array:path) => {{
        use sqlx::Arguments as _;
        let vals: Vec<Val> = $args;
        let mut a = <$db as sqlx::Database>::Arguments::default();
        a.reserve(vals.len(), 0);
        let mut bound: Result<(), sqlx::error::BoxDynError> = Ok(());
        for v in vals {
            bound = match v {
                Val::I64(x) => a.add(x),
                Val::Text(x) => a.add(x),
                Val::Bytes(x) => a.add(x),
                Val::Bool(x) => a.add(x),
                Val::OptI64(x) => a.add(x),
                Val::OptText(x) => a.add(x),
                Val::TextArray(x) => a.add($array(x)),
            };
            if bound.is_err() {
                break;
            }
        }
        bound
            .map(|()| sqlx::query_with::<$db, _>($sql, a))
            .map_err(sqlx::Error::Encode)
    }};
}

/// An array argument as SQLite takes it: JSON text (for `json_each`).
fn json_array<T: Into<serde_json::Value>>(v: Vec<T>) -> String {
    serde_json::Value::from(v).to_string()
}

/// Keys looked up in one query by [`keyed_sql`].
pub(crate) enum Keys<'a> {
    Text(&'a [String]),
}

impl Keys<'_> {
    fn len(&self) -> usize {
        match self {
            Keys::Text(k) => k.len(),
        }
    }
}

/// `SELECT {select} FROM {from} WHERE {filter} AND {key} IN (keys) [ORDER BY {order}]` for a
/// batch of keys, with its arguments: `args` bind `$1…` of `filter`, the keys follow.
///
/// SQLite plans an `IN` list as one index probe per key. PostgreSQL plans it from table
/// statistics, and a table filled by bulk issuance since its last `ANALYZE` looks empty: it then
/// scans the whole table (or every row matching `filter`) per query, so each batch costs more
/// than the one before. There the keys come as one array, each looked up by its own index probe
/// (`OFFSET 0` keeps the planner from turning the lateral lookup back into a join over the table),
/// whatever the statistics say. `select` and `order` name columns of `from` without qualifiers;
/// `keys` must be distinct.
#[allow(clippy::too_many_arguments)]
pub(crate) fn keyed_sql(
    backend: Backend,
    select: &str,
    from: &str,
    filter: &str,
    key: &str,
    keys: Keys<'_>,
    order: &str,
    mut args: Vec<Val>,
) -> (String, Vec<Val>) {
    let first = args.len() + 1;
    let filter = if filter.is_empty() {
        String::new()
    } else {
        format!("{filter} AND ")
    };
    let order = if order.is_empty() {
        String::new()
    } else {
        format!(" ORDER BY {order}")
    };
    match backend {
        Backend::Sqlite => {
            let sql = format!(
                "SELECT {select} FROM {from} WHERE {filter}{key} IN ({}){order}",
                list_placeholders(first, keys.len())
            );
            match keys {
                Keys::Text(k) => args.extend(k.iter().map(|v| Val::Text(v.clone()))),
            }
            (sql, args)
        }
        Backend::Postgres => {
            let ty = match keys {
                Keys::Text(_) => "text",
            };
            let sql = format!(
                "SELECT {select} FROM unnest(${first}::{ty}[]) AS keyed_k(k) CROSS JOIN LATERAL (SELECT {select} FROM {from} WHERE {filter}{key} = keyed_k.k OFFSET 0) AS keyed_t{order}"
            );
            args.push(match keys {
                Keys::Text(k) => Val::TextArray(k.to_vec()),
            });
            (sql, args)
        }
    }
}

/// SQLite looks a named parameter up by walking a list (`sqlite3_bind_parameter_name` is
/// O(params)), so binding a multi-row statement with thousands of `$N` is quadratic. When the
/// placeholders are exactly `$1, $2, …` in order, each once, anonymous `?` bind identically and
/// in constant time.
fn sqlite_sql(sql: &str) -> std::borrow::Cow<'_, str> {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut expected = 1usize;
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let mut j = i + 1;
            let mut n = 0usize;
            while j < b.len() && b[j].is_ascii_digit() {
                n = n
                    .saturating_mul(10)
                    .saturating_add(usize::from(b[j] - b'0'));
                j += 1;
            }
            if j == i + 1 || n != expected {
                return std::borrow::Cow::Borrowed(sql);
            }
            out.push_str(&sql[last..i]);
            out.push('?');
            expected += 1;
            last = j;
            i = j;
        } else {
            i += 1;
        }
    }
    if expected <= 16 {
        return std::borrow::Cow::Borrowed(sql);
    }
    out.push_str(&sql[last..]);
    std::borrow::Cow::Owned(out)
}

/// A result row from either backend.
pub(crate) enum Row {
    Sqlite(SqliteRow),
    Pg(PgRow),
}

macro_rules! getter {
    ($name:ident, $t:ty) => {
        pub(crate) fn $name(&self, col: &str) -> Result<$t, StoreError> {
            match self {
                Row::Sqlite(r) => r.try_get::<$t, _>(col),
                Row::Pg(r) => r.try_get::<$t, _>(col),
            }
            .map_err(StoreError::from)
        }
    };
}

impl Row {
    getter!(i64, i64);
    getter!(opt_i64, Option<i64>);
    getter!(text, String);
    getter!(opt_text, Option<String>);
    getter!(bytes, Vec<u8>);
    getter!(opt_bytes, Option<Vec<u8>>);
    getter!(bool, bool);

    /// A 32-byte hash column; anything else means the row was tampered with or corrupted.
    pub(crate) fn hash(&self, col: &str) -> Result<[u8; 32], StoreError> {
        let b = self.bytes(col)?;
        <[u8; 32]>::try_from(b.as_slice()).map_err(|_| StoreError::Integrity {
            message: format!("column {col} does not hold a 32-byte hash"),
        })
    }

    /// A non-negative integer column as `u64`.
    pub(crate) fn u64(&self, col: &str) -> Result<u64, StoreError> {
        let v = self.i64(col)?;
        u64::try_from(v).map_err(|_| StoreError::Integrity {
            message: format!("column {col} holds a negative value"),
        })
    }
}

/// Which backend a handle talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded single-file SQLite.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Connection pools. SQLite keeps one writer connection (SQLite allows one writer at a time
/// anyway; queueing in the pool is cheaper than busy-waiting) and a separate reader pool.
#[derive(Clone)]
pub(crate) enum Db {
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
        /// Copies the write-ahead log into the database file beside the writer.
        checkpoints: std::sync::Arc<crate::checkpoint::Checkpointer>,
    },
    Pg(PgPool),
}

impl Db {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Pg(_) => Backend::Postgres,
        }
    }

    /// Starts a write transaction. SQLite takes the write lock at once (`BEGIN IMMEDIATE`) so a
    /// transaction that reads first never fails later with a stale snapshot.
    pub(crate) async fn begin(&self) -> Result<Tx, StoreError> {
        match self {
            Db::Sqlite { write, .. } => Ok(Tx::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?)),
            Db::Pg(p) => Ok(Tx::Pg(p.begin().await?)),
        }
    }

    /// Starts a transaction that only reads: one consistent snapshot that takes no write lock
    /// (SQLite's reader pool, a deferred `BEGIN`), so it runs beside a writer. Never write in it.
    pub(crate) async fn begin_read(&self) -> Result<Tx, StoreError> {
        match self {
            Db::Sqlite { read, .. } => Ok(Tx::Sqlite(read.begin().await?)),
            Db::Pg(p) => Ok(Tx::Pg(p.begin().await?)),
        }
    }

    pub(crate) async fn fetch_all(
        &self,
        sql: &str,
        args: Vec<Val>,
    ) -> Result<Vec<Row>, StoreError> {
        match self {
            Db::Sqlite { read, .. } => {
                let q = sqlite_sql(sql);
                Ok(bind_all!(Sqlite, &q, args, json_array)?
                    .fetch_all(read)
                    .await?
                    .into_iter()
                    .map(Row::Sqlite)
                    .collect())
            }
            Db::Pg(p) => Ok(bind_all!(Postgres, sql, args, std::convert::identity)?
                .fetch_all(p)
                .await?
                .into_iter()
                .map(Row::Pg)
                .collect()),
        }
    }

    pub(crate) async fn fetch_optional(
        &self,
        sql: &str,
        args: Vec<Val>,
    ) -> Result<Option<Row>, StoreError> {
        match self {
            Db::Sqlite { read, .. } => {
                let q = sqlite_sql(sql);
                Ok(bind_all!(Sqlite, &q, args, json_array)?
                    .fetch_optional(read)
                    .await?
                    .map(Row::Sqlite))
            }
            Db::Pg(p) => Ok(bind_all!(Postgres, sql, args, std::convert::identity)?
                .fetch_optional(p)
                .await?
                .map(Row::Pg)),
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Db::Sqlite {
                write,
                read,
                checkpoints,
            } => {
                // The writer closes last: the last connection to close copies what is left of
                // the log into the database file and deletes the log (a reader cannot).
                read.close().await;
                checkpoints.close().await;
                write.close().await;
            }
            Db::Pg(p) => p.close().await,
        }
    }
}

/// An open write transaction. Dropping it without [`Tx::commit`] rolls back, so an error
/// anywhere in between leaves nothing half-written.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Pg(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Pg(_) => Backend::Postgres,
        }
    }

    pub(crate) async fn execute(&mut self, sql: &str, args: Vec<Val>) -> Result<u64, StoreError> {
        match self {
            Tx::Sqlite(t) => {
                let q = sqlite_sql(sql);
                Ok(bind_all!(Sqlite, &q, args, json_array)?
                    .execute(&mut **t)
                    .await?
                    .rows_affected())
            }
            Tx::Pg(t) => Ok(bind_all!(Postgres, sql, args, std::convert::identity)?
                .execute(&mut **t)
                .await?
                .rows_affected()),
        }
    }

    pub(crate) async fn fetch_all(
        &mut self,
        sql: &str,
        args: Vec<Val>,
    ) -> Result<Vec<Row>, StoreError> {
        match self {
            Tx::Sqlite(t) => {
                let q = sqlite_sql(sql);
                Ok(bind_all!(Sqlite, &q, args, json_array)?
                    .fetch_all(&mut **t)
                    .await?
                    .into_iter()
                    .map(Row::Sqlite)
                    .collect())
            }
            Tx::Pg(t) => Ok(bind_all!(Postgres, sql, args, std::convert::identity)?
                .fetch_all(&mut **t)
                .await?
                .into_iter()
                .map(Row::Pg)
                .collect()),
        }
    }

    pub(crate) async fn fetch_optional(
        &mut self,
        sql: &str,
        args: Vec<Val>,
    ) -> Result<Option<Row>, StoreError> {
        match self {
            Tx::Sqlite(t) => {
                let q = sqlite_sql(sql);
                Ok(bind_all!(Sqlite, &q, args, json_array)?
                    .fetch_optional(&mut **t)
                    .await?
                    .map(Row::Sqlite))
            }
            Tx::Pg(t) => Ok(bind_all!(Postgres, sql, args, std::convert::identity)?
                .fetch_optional(&mut **t)
                .await?
                .map(Row::Pg)),
        }
    }

    pub(crate) async fn fetch_one(&mut self, sql: &str, args: Vec<Val>) -> Result<Row, StoreError> {
        self.fetch_optional(sql, args)
            .await?
            .ok_or_else(|| StoreError::Integrity {
                message: "expected row is missing".into(),
            })
    }

    /// Runs `stmt` and, while the database works on it, `work` on this thread: the statement is
    /// sent before `work` starts and awaited after it ends. Both results come back; the
    /// statement's error, if any, first.
    pub(crate) async fn execute_while<T>(
        &mut self,
        stmt: Option<Stmt>,
        work: impl FnOnce() -> T,
    ) -> Result<T, StoreError> {
        let Some(stmt) = stmt else {
            return Ok(work());
        };
        if let (Some(rows), Tx::Pg(t)) = (&stmt.copy, &mut *self) {
            // A COPY's rows go out before `work` starts; the server stores them meanwhile.
            let c = send_copy(t, &stmt.sql, rows).await?;
            let (done, out) = futures::join!(c.finish(), async { work() });
            done?;
            return Ok(out);
        }
        // `join!` polls the statement first, which binds it and hands it to the driver (the
        // SQLite worker thread or the PostgreSQL socket), then runs `work` to the end.
        let (done, out) = futures::join!(self.run(stmt), async { work() });
        done?;
        Ok(out)
    }

    /// Runs one [`Stmt`]; rows affected (copied).
    pub(crate) async fn run(&mut self, stmt: Stmt) -> Result<u64, StoreError> {
        let Stmt { sql, args, copy } = stmt;
        match (copy, self) {
            (None, tx) => tx.execute(&sql, args).await,
            (Some(rows), Tx::Pg(t)) => Ok(send_copy(t, &sql, &rows).await?.finish().await?),
            (Some(_), Tx::Sqlite(_)) => Err(StoreError::integrity(
                "a PostgreSQL COPY was sent to SQLite",
            )),
        }
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// Starts the `COPY … FROM STDIN` of `sql` and sends `rows`; the caller awaits `finish`, which
/// reports what the server made of them.
async fn send_copy<'c>(
    t: &'c mut Transaction<'static, Postgres>,
    sql: &str,
    rows: &[u8],
) -> Result<sqlx::postgres::PgCopyIn<&'c mut sqlx::PgConnection>, StoreError> {
    let mut c = t.copy_in_raw(sql).await?;
    if let Err(e) = c.send(rows).await {
        // The transaction is lost either way; tell the server why.
        c.abort(e.to_string()).await.ok();
        return Err(e.into());
    }
    Ok(c)
}

/// `$first, $first+1, …` placeholders for a multi-row `VALUES` list: `rows` groups of `cols`.
/// A column's type, for [`insert_rows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    Text,
    I64,
    Bytes,
    Bool,
}

/// One statement with its arguments, made ahead of running it (see [`Tx::execute_while`]).
pub(crate) struct Stmt {
    pub(crate) sql: String,
    pub(crate) args: Vec<Val>,
    /// PostgreSQL only: `sql` is a `COPY … FROM STDIN (FORMAT binary)` and these are its rows,
    /// in that format (`args` is empty).
    pub(crate) copy: Option<Vec<u8>>,
}

/// Inserts `rows` (values in `cols` order) into `table`: runs [`insert_statements`] (the store
/// runs them through [`Tx::execute_while`]).
#[cfg(test)]
pub(crate) async fn insert_rows(
    tx: &mut Tx,
    table: &str,
    cols: &[(&str, Col)],
    rows: Vec<Vec<Val>>,
    sqlite_chunk: usize,
) -> Result<(), StoreError> {
    for s in insert_statements(tx.backend(), table, cols, rows, sqlite_chunk)? {
        tx.run(s).await?;
    }
    Ok(())
}

/// The statements that insert `rows` (values in `cols` order) into `table`. SQLite: `INSERT …
/// VALUES` lists of up to `sqlite_chunk` rows. PostgreSQL: one binary `COPY … FROM STDIN` of
/// every row: nothing to parse, bind or plan per value (an `INSERT … SELECT * FROM unnest(…)`
/// of column arrays, used before, spent a fifth of the credentials insert receiving arrays),
/// and the same constraints, triggers and foreign-key checks as an insert.
pub(crate) fn insert_statements(
    backend: Backend,
    table: &str,
    cols: &[(&str, Col)],
    rows: Vec<Vec<Val>>,
    sqlite_chunk: usize,
) -> Result<Vec<Stmt>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(r) = rows.iter().find(|r| r.len() != cols.len()) {
        return Err(StoreError::integrity(format!(
            "{table}: a row of {} values for {} columns",
            r.len(),
            cols.len()
        )));
    }
    let names = cols.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    let bad = |c: &str| StoreError::integrity(format!("{table}.{c}: value of the wrong type"));
    match backend {
        Backend::Sqlite => {
            let mut out = Vec::with_capacity(rows.len().div_ceil(sqlite_chunk.max(1)));
            let mut rows = rows.into_iter().peekable();
            while rows.peek().is_some() {
                let chunk: Vec<Vec<Val>> = rows.by_ref().take(sqlite_chunk.max(1)).collect();
                let sql = format!(
                    "INSERT INTO {table} ({names}) VALUES {}",
                    values_placeholders(chunk.len(), cols.len())
                );
                let mut args = Vec::with_capacity(chunk.len() * cols.len());
                for r in chunk {
                    args.extend(r);
                }
                out.push(Stmt {
                    sql,
                    args,
                    copy: None,
                });
            }
            Ok(out)
        }
        Backend::Postgres => {
            let payload: usize = rows
                .iter()
                .flatten()
                .map(|v| match v {
                    Val::Text(t) | Val::OptText(Some(t)) => t.len(),
                    Val::Bytes(b) => b.len(),
                    _ => 8,
                })
                .sum();
            let mut data = Vec::with_capacity(
                COPY_HEADER.len() + 10 + payload + rows.len() * (2 + 4 * cols.len()),
            );
            data.extend_from_slice(COPY_HEADER);
            data.extend_from_slice(&0i32.to_be_bytes()); // flags
            data.extend_from_slice(&0i32.to_be_bytes()); // header extension length
            let field_count = i16::try_from(cols.len())
                .map_err(|_| StoreError::integrity(format!("{table}: too many columns")))?;
            for r in rows {
                data.extend_from_slice(&field_count.to_be_bytes());
                for (v, (name, col)) in r.into_iter().zip(cols) {
                    match (col, v) {
                        (Col::Text, Val::Text(t) | Val::OptText(Some(t))) => {
                            copy_field(&mut data, t.as_bytes(), table)?
                        }
                        (Col::Bytes, Val::Bytes(b)) => copy_field(&mut data, &b, table)?,
                        (Col::I64, Val::I64(x) | Val::OptI64(Some(x))) => {
                            copy_field(&mut data, &x.to_be_bytes(), table)?
                        }
                        (Col::Bool, Val::Bool(b)) => copy_field(&mut data, &[u8::from(b)], table)?,
                        (Col::Text, Val::OptText(None)) | (Col::I64, Val::OptI64(None)) => {
                            data.extend_from_slice(&(-1i32).to_be_bytes())
                        }
                        _ => return Err(bad(name)),
                    }
                }
            }
            data.extend_from_slice(&(-1i16).to_be_bytes());
            Ok(vec![Stmt {
                sql: format!("COPY {table} ({names}) FROM STDIN (FORMAT binary)"),
                args: Vec::new(),
                copy: Some(data),
            }])
        }
    }
}

/// The signature that opens PostgreSQL's binary COPY format.
const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// One field of a binary COPY row: its length, then its bytes.
fn copy_field(data: &mut Vec<u8>, bytes: &[u8], table: &str) -> Result<(), StoreError> {
    let len = i32::try_from(bytes.len())
        .map_err(|_| StoreError::integrity(format!("{table}: a value of over 2 GiB")))?;
    data.extend_from_slice(&len.to_be_bytes());
    data.extend_from_slice(bytes);
    Ok(())
}

pub(crate) fn values_placeholders(rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            s.push('$');
            s.push_str(&n.to_string());
            n += 1;
        }
        s.push(')');
    }
    s
}

/// `$first, …, $first+count-1` for an `IN (…)` list.
pub(crate) fn list_placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::{keyed_sql, sqlite_sql, Backend, Keys, Stmt, Val};
    use crate::store::Store;
    use crate::testutil::{drop_pg, pg_store, sqlite_store};
    use sqlx::{Connection as _, Row as _};

    /// On a table bulk-filled since its last `ANALYZE` (as bulk issuance leaves `educator_identifiers`
    /// and `status_allocations`), PostgreSQL plans a plain `IN` list as a scan of the whole table;
    /// the keyed form must still probe the index once per key.
    #[tokio::test]
    async fn keyed_lookups_probe_the_index_on_a_table_with_stale_statistics() {
        let Some(url) = crate::testutil::test_postgres_url() else {
            return;
        };
        let mut c = sqlx::PgConnection::connect(&url).await.expect("connect");
        sqlx::raw_sql(
            "CREATE TEMP TABLE ids (kind TEXT NOT NULL, value TEXT NOT NULL, educator_id TEXT NOT NULL, PRIMARY KEY (kind, value));
             INSERT INTO ids SELECT 'email', 'y' || i, 'e' || i FROM generate_series(1, 10) i;
             ANALYZE ids;
             INSERT INTO ids SELECT 'email', 'x' || i, 'e' || i FROM generate_series(1, 20000) i;",
        )
        .execute(&mut c)
        .await
        .expect("set up");
        let keys: Vec<String> = (1..=500).map(|i| format!("x{}", i * 7)).collect();
        let (sql, args) = keyed_sql(
            Backend::Postgres,
            "value, educator_id",
            "ids",
            "kind = 'email'",
            "value",
            Keys::Text(&keys),
            "",
            Vec::new(),
        );
        let keys_arg = match args.as_slice() {
            [Val::TextArray(v)] => v.clone(),
            other => panic!("expected one text[] argument, got {other:?}"),
        };
        let explain = format!("EXPLAIN (FORMAT JSON) {sql}");
        let keyed: serde_json::Value = sqlx::query(&explain)
            .bind(keys_arg.clone())
            .fetch_one(&mut c)
            .await
            .expect("explain keyed")
            .get(0);
        let keyed = keyed.to_string();
        assert!(
            !keyed.contains("Seq Scan"),
            "keyed lookup scans the table: {keyed}"
        );
        assert!(
            keyed.contains("Index Scan"),
            "keyed lookup does not probe the index: {keyed}"
        );
        // The same lookup as an IN list, for the record (the planner's choice, not asserted).
        let listed = format!(
            "EXPLAIN (FORMAT JSON) SELECT value, educator_id FROM ids WHERE kind = 'email' AND value IN ({})",
            super::list_placeholders(1, keys.len())
        );
        let mut q = sqlx::query::<sqlx::Postgres>(&listed);
        for k in &keys {
            q = q.bind(k);
        }
        let listed: serde_json::Value = q.fetch_one(&mut c).await.expect("explain list").get(0);
        eprintln!(
            "IN-list plan scans the table: {}",
            listed.to_string().contains("Seq Scan")
        );
        // And it finds exactly the keys that exist.
        let q = sqlx::query::<sqlx::Postgres>(&sql).bind(keys_arg);
        let found = q.fetch_all(&mut c).await.expect("keyed lookup");
        let expected = keys
            .iter()
            .filter(|k| k[1..].parse::<u32>().is_ok_and(|n| n <= 20000))
            .count();
        assert_eq!(found.len(), expected);
        c.close().await.ok();
    }

    #[test]
    fn rewrites_only_plain_sequences() {
        let many = super::values_placeholders(10, 2);
        let sql = format!("INSERT INTO t (a, b) VALUES {many}");
        let out = sqlite_sql(&sql);
        assert_eq!(out.matches('?').count(), 20);
        assert!(!out.contains('$'));
        // Few parameters, repeats or gaps stay as they are.
        assert_eq!(sqlite_sql("SELECT $1, $2"), "SELECT $1, $2");
        let rep = format!("{sql} WHERE x = $1");
        assert_eq!(sqlite_sql(&rep), rep);
    }

    /// `insert_statements` (run by `insert_rows`) stores every value as given (NULLs too) on either backend, and refuses a
    /// value of the wrong type for its column.
    async fn insert_rows_round_trip(store: &Store) {
        use crate::sql::{insert_rows, Col, Val};
        let cols = [
            ("t", Col::Text),
            ("i", Col::I64),
            ("b", Col::Bytes),
            ("f", Col::Bool),
        ];
        let mut tx = store.db().begin().await.unwrap();
        tx.execute(
            "CREATE TABLE insert_rows_probe (t TEXT, i BIGINT, b BYTEA, f BOOLEAN)"
                .replace(
                    "BYTEA",
                    if tx.backend() == Backend::Sqlite {
                        "BLOB"
                    } else {
                        "BYTEA"
                    },
                )
                .as_str(),
            Vec::new(),
        )
        .await
        .unwrap();
        let rows: Vec<Vec<Val>> = (0..5)
            .map(|k: i64| {
                vec![
                    if k == 2 {
                        Val::OptText(None)
                    } else {
                        Val::Text(format!("r{k} 'quoted' \\ {{\"json\": [1]}}"))
                    },
                    if k == 3 {
                        Val::OptI64(None)
                    } else {
                        Val::I64(k * 1_000_000_007)
                    },
                    Val::Bytes(vec![k as u8, 0, 255]),
                    Val::Bool(k % 2 == 0),
                ]
            })
            .collect();
        // A chunk of 2 on SQLite: three statements.
        insert_rows(&mut tx, "insert_rows_probe", &cols, rows, 2)
            .await
            .unwrap();
        let back = tx
            .fetch_all(
                "SELECT t, i, b, f FROM insert_rows_probe ORDER BY b",
                Vec::new(),
            )
            .await
            .unwrap();
        assert_eq!(back.len(), 5);
        for (k, r) in back.iter().enumerate() {
            let k = k as i64;
            let t = r.opt_text("t").unwrap();
            assert_eq!(
                t,
                (k != 2).then(|| format!("r{k} 'quoted' \\ {{\"json\": [1]}}"))
            );
            assert_eq!(
                r.opt_i64("i").unwrap(),
                (k != 3).then_some(k * 1_000_000_007)
            );
            assert_eq!(r.bytes("b").unwrap(), vec![k as u8, 0, 255]);
            assert_eq!(r.bool("f").unwrap(), k % 2 == 0);
        }
        let wrong = vec![vec![
            Val::I64(1),
            Val::I64(1),
            Val::Bytes(Vec::new()),
            Val::Bool(true),
        ]];
        let e = insert_rows(&mut tx, "insert_rows_probe", &cols, wrong, 2).await;
        if tx.backend() == Backend::Postgres {
            assert!(e.is_err(), "a number for a text column");
        }
        let short = vec![vec![Val::I64(1)]];
        assert!(insert_rows(&mut tx, "insert_rows_probe", &cols, short, 2)
            .await
            .is_err());
        drop(tx);

        // `execute_while` runs the statement and the work, and reports the statement's error.
        let mut tx = store.db().begin().await.unwrap();
        let stmts = crate::sql::insert_statements(
            tx.backend(),
            "log_head",
            &[("id", Col::I64), ("size", Col::I64)],
            vec![vec![Val::I64(2), Val::I64(0)]],
            10,
        )
        .unwrap();
        let mut ran = false;
        let e = tx
            .execute_while(stmts.into_iter().next(), || ran = true)
            .await;
        assert!(ran, "the work ran");
        assert!(e.is_err(), "log_head allows only id 1: {e:?}");
        drop(tx);
        let mut tx = store.db().begin().await.unwrap();
        let made = tx
            .execute_while(
                Some(Stmt {
                    sql: "UPDATE log_head SET size = size WHERE id = 1".into(),
                    args: Vec::new(),
                    copy: None,
                }),
                || 7,
            )
            .await
            .unwrap();
        assert_eq!(made, 7);
        assert_eq!(tx.execute_while(None, || 8).await.unwrap(), 8);
        drop(tx);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn insert_rows_round_trips_on_sqlite() {
        let (_dir, store) = sqlite_store().await;
        insert_rows_round_trip(&store).await;
        store.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn insert_rows_round_trips_on_postgres() {
        let Some((store, base, name)) = pg_store().await else {
            return;
        };
        insert_rows_round_trip(&store).await;
        drop_pg(store, base, name).await;
    }
}
