//! "Did you mean …?" for misspelt setting names.
//!
//! Optimal-string-alignment distance (Levenshtein plus adjacent transpositions, each
//! substring edited once): `acess` → `access` is 1, `lifetmie` → `lifetime` is 1.
//! Names are compared case-insensitively with `-` read as `_`, because `ACCESS-TOKEN` and
//! `access_token` are the same mistake.

/// Edit distance with adjacent transpositions (optimal string alignment), over `char`s.
pub(crate) fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rolling rows: two rows back (for transpositions), previous, current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let deletion = prev.get(j + 1).map_or(usize::MAX, |v| v + 1);
            let insertion = cur.get(j).map_or(usize::MAX, |v| v + 1);
            let substitution = prev.get(j).map_or(usize::MAX, |v| v + cost);
            let mut best = deletion.min(insertion).min(substitution);
            let transposed =
                i > 0 && j > 0 && a.get(i - 1) == Some(&cb) && b.get(j - 1) == Some(&ca);
            if transposed {
                if let Some(t) = before.get(j - 1) {
                    best = best.min(t + 1);
                }
            }
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = best;
            }
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.get(b.len()).copied().unwrap_or(usize::MAX)
}

fn normalise(name: &str) -> String {
    name.to_lowercase().replace('-', "_")
}

/// The candidate nearest to `name` (ties: the first in `candidates` order).
pub(crate) fn nearest<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let wanted = normalise(name);
    candidates
        .into_iter()
        .map(|c| (osa_distance(&wanted, &normalise(c)), c))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_distances() {
        // Classic Levenshtein examples (Wikipedia "Levenshtein distance").
        assert_eq!(osa_distance("kitten", "sitting"), 3);
        assert_eq!(osa_distance("flaw", "lawn"), 2);
        assert_eq!(osa_distance("", "abc"), 3);
        assert_eq!(osa_distance("abc", ""), 3);
        assert_eq!(osa_distance("same", "same"), 0);
        // A transposition costs 1 (Levenshtein would say 2) …
        assert_eq!(osa_distance("teh", "the"), 1);
        assert_eq!(osa_distance("lifetmie", "lifetime"), 1);
        // … but OSA edits each substring once: "ca" → "abc" is 3 (true Damerau gives 2).
        assert_eq!(osa_distance("ca", "abc"), 3);
        // Non-ASCII counts characters, not bytes.
        assert_eq!(osa_distance("durée", "duree"), 1);
    }

    #[test]
    fn nearest_ignores_case_and_dashes() {
        let keys = [
            "access_token_lifetime_secs",
            "refresh_token_lifetime_secs",
            "issuer",
        ];
        assert_eq!(
            nearest("acess_token_lifetime_secs", keys),
            Some("access_token_lifetime_secs")
        );
        assert_eq!(
            nearest("REFRESH-TOKEN-LIFETIME-SECS", keys),
            Some("refresh_token_lifetime_secs")
        );
        assert_eq!(nearest("isuer", keys), Some("issuer"));
        assert_eq!(nearest("x", std::iter::empty()), None);
    }
}
