//! Comparing names as people write them: without regard to case, accents, punctuation or
//! spacing ("José  García-López" is "jose garcia lopez"), and near matches for searches (a
//! prefix, or a word a typo or two away).

use unicode_normalization::UnicodeNormalization;

/// `s` folded for comparison: lower case, accents removed, anything but letters and digits
/// turned into single spaces.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
    {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else {
            space = true;
        }
    }
    out
}

/// Whether two written names are the same name (folded equal, or the same words in another
/// order: "Rivera, Jordan" is "Jordan Rivera").
pub fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (fold(a), fold(b));
    if a == b {
        return true;
    }
    let mut wa: Vec<&str> = a.split(' ').collect();
    let mut wb: Vec<&str> = b.split(' ').collect();
    wa.sort_unstable();
    wb.sort_unstable();
    !wa.is_empty() && wa == wb
}

/// Levenshtein distance between two short strings (by characters).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j + 1] + 1).min(cur[j] + 1).min(prev[j] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// How many typos a word of this length may carry and still be a near match.
fn allowed_typos(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Whether `text` matches `query` exactly (folded: every query word is a word of the text or
/// begins one).
pub fn matches(query: &str, text: &str) -> bool {
    let text = fold(text);
    let words: Vec<&str> = text.split(' ').collect();
    let q = fold(query);
    !q.is_empty()
        && q.split(' ')
            .all(|qw| words.iter().any(|w| w.starts_with(qw)) || text.contains(qw))
}

/// Whether `text` nearly matches `query`: every query word is within a typo or two of a word
/// of the text, or of the beginning of one.
pub fn near(query: &str, text: &str) -> bool {
    let text = fold(text);
    let words: Vec<&str> = text.split(' ').collect();
    let q = fold(query);
    !q.is_empty()
        && q.split(' ').all(|qw| {
            let n = qw.chars().count();
            let typos = allowed_typos(n);
            words.iter().any(|w| {
                let prefix: String = w.chars().take(n).collect();
                w.starts_with(qw)
                    || edit_distance(qw, w) <= typos
                    || (n >= 4 && edit_distance(qw, &prefix) <= typos)
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_compares_names() {
        assert_eq!(fold("  José  García-López "), "jose garcia lopez");
        assert!(same_name("Jordan Rivera", "jordan  RIVERA"));
        assert!(same_name("Rivera, Jordan", "Jordan Rivera"));
        assert!(same_name("Zoë Ångström", "zoe angstrom"));
        assert!(!same_name("Jordan Rivera", "Jordan Riviera"));
        assert!(!same_name("", "Jordan"));
    }

    #[test]
    fn near_matches_forgive_typos_and_prefixes() {
        assert!(matches("integ", "Integrator specialist"));
        assert!(matches("MORGAN", "Morgan Lee"));
        assert!(!matches("intgrator", "Integrator specialist"));
        assert!(near("intgrator", "Integrator specialist"));
        assert!(near("Morgn", "Morgan Lee"));
        assert!(near("Morgn Le", "Morgan Lee"));
        assert!(near("integrater spec", "Integrator specialist"));
        assert!(!near("xyz", "Integrator specialist"));
        assert!(!near("guide", "Integrator specialist"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
