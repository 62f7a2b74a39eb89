//! Names of the sheets (tabs) throughline makes: what the tool accepts, and the alternatives
//! when a name is taken (a sheet people made is never taken over).

/// The first of `wanted` and `fallback` that `clean` leaves non-empty, else "Tasks".
pub fn sheet_name(wanted: &str, fallback: &str, clean: impl Fn(&str) -> String) -> String {
    [wanted, fallback]
        .into_iter()
        .map(clean)
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "Tasks".to_owned())
}

/// `text` cut to its first `max` characters, without trailing spaces.
pub fn cut(text: &str, max: usize) -> String {
    let cut: String = text.chars().take(max).collect();
    cut.trim_end().to_owned()
}

/// The `n`th alternative of a name (`Content 2`), still within `max` characters.
pub fn numbered(name: &str, n: usize, max: usize) -> String {
    let suffix = format!(" {n}");
    format!("{}{suffix}", cut(name, max - suffix.chars().count()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fall_back_and_number_within_the_limit() {
        let upper = |s: &str| s.trim().to_uppercase();
        assert_eq!(sheet_name(" copy ", "x", upper), "COPY");
        assert_eq!(sheet_name("  ", "design", upper), "DESIGN");
        assert_eq!(sheet_name("", " ", upper), "Tasks");
        assert_eq!(cut("abc def", 4), "abc");
        assert_eq!(numbered("abcdef", 2, 5), "abc 2");
        assert_eq!(numbered("תהליך", 12, 10), "תהליך 12");
    }
}
